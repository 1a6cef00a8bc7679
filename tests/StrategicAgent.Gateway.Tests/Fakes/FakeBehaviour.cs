using Grpc.Core;

namespace StrategicAgent.Gateway.Tests.Fakes;

/// <summary>
/// The fakes decide what to do from the request itself ("status:NotFound" fails with that status),
/// so tests running in parallel never share mutable set-up.
/// </summary>
public static class FakeBehaviour
{
    public const string StatusPrefix = "status:";
    public const string SleepPrefix = "sleep:";
    /// <summary>"loading:N": Unavailable with a retry-after trailer of N seconds, as the prediction service answers while a tenant's features load.</summary>
    public const string LoadingPrefix = "loading:";
    public const string LoadingDetail = "The unified features of this tenant are being loaded (started 3 s ago); retry in 4 s.";

    public static string FakeDetail(StatusCode code) => $"fake {code} detail from downstream";

    public static void ThrowIfAsked(string text)
    {
        if (text.StartsWith(StatusPrefix, StringComparison.Ordinal))
        {
            var code = Enum.Parse<StatusCode>(text[StatusPrefix.Length..]);
            throw new RpcException(new Status(code, FakeDetail(code)));
        }
        if (text.StartsWith(LoadingPrefix, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, LoadingDetail), new Metadata { { "retry-after", text[LoadingPrefix.Length..] } });
        }
    }

    public static async Task SleepIfAsked(string text, ServerCallContext context)
    {
        if (text.StartsWith(SleepPrefix, StringComparison.Ordinal))
        {
            await Task.Delay(int.Parse(text[SleepPrefix.Length..], System.Globalization.CultureInfo.InvariantCulture), context.CancellationToken);
        }
    }

    /// <summary>Seconds left until the call's deadline, as the server sees it.</summary>
    public static double DeadlineSeconds(ServerCallContext context) =>
        context.Deadline == DateTime.MaxValue ? double.PositiveInfinity : (context.Deadline - DateTime.UtcNow).TotalSeconds;
}
