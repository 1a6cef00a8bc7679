using Grpc.Core;

namespace StrategicAgent.Gateway.Errors;

/// <summary>How a downstream gRPC status becomes an HTTP status (documented in docs/api.md).</summary>
public static class RpcStatusMapping
{
    public static int ToHttpStatus(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        // The request was understood but the system is not in a state to do it (no deployed model,
        // not enough training data, a run already in progress): 409 Conflict, not 412, because no
        // HTTP precondition header (If-Match, ...) is involved.
        StatusCode.FailedPrecondition or StatusCode.AlreadyExists or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status502BadGateway,
    };

    /// <summary>4xx answers pass the downstream's message on: it says what to change in the request.</summary>
    public static bool IsCallersFault(int httpStatus) => httpStatus is >= 400 and < 500;

    public static string Title(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status400BadRequest => "Bad request",
        StatusCodes.Status403Forbidden => "Forbidden",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status409Conflict => "Conflict",
        StatusCodes.Status429TooManyRequests => "Too many requests",
        StatusCodes.Status503ServiceUnavailable => "Service unavailable",
        StatusCodes.Status504GatewayTimeout => "Gateway timeout",
        _ => "Bad gateway",
    };

    /// <summary>
    /// The seconds of a downstream's <c>retry-after</c> trailer on an Unavailable (or ResourceExhausted) it answered on
    /// purpose (e.g. the prediction service while a tenant's features load), or null. Such an answer's message is
    /// written for callers.
    /// </summary>
    public static int? RetryAfterSeconds(RpcException rpc) =>
        rpc.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted
        && rpc.Trailers.GetValue("retry-after") is { } value
        && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
        && seconds is > 0 and <= 3600
            ? seconds
            : null;

    public static string ServerSideDetail(string service, StatusCode code) => code switch
    {
        StatusCode.Unavailable => $"The {service} service is unavailable. Try again shortly.",
        StatusCode.DeadlineExceeded => $"The {service} service did not answer within its deadline.",
        _ => $"The {service} service failed ({code}).",
    };
}
