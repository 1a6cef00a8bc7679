namespace StrategicAgent.Gateway.Errors;

/// <summary>
/// Endpoint metadata naming the downstream gRPC service an API area calls, so a failed call's
/// ProblemDetails can say which service failed.
/// </summary>
public sealed record DownstreamService(string Name)
{
    public static readonly DownstreamService Validation = new("validation");
    public static readonly DownstreamService Agent = new("agent");
    public static readonly DownstreamService Training = new("ml-training");
    public static readonly DownstreamService Prediction = new("prediction");
}
