using System.Net;
using System.Text.Json;

namespace StrategicAgent.Web.Gateway;

/// <summary>
/// A failed gateway call as the user sees it: the gateway's ProblemDetails (docs/api.md, "Errors"),
/// or one made up here when the gateway could not be reached, always with a trace id to quote.
/// </summary>
public sealed record ApiProblem(int Status, string Title, string Detail, string? TraceId, string? Downstream, IReadOnlyDictionary<string, string[]>? Errors)
{
    /// <summary>The route does not exist on this gateway (a 404 that no downstream service answered): a capability not deployed yet.</summary>
    public bool IsMissingEndpoint =>
        Status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.MethodNotAllowed && Downstream is null && string.IsNullOrEmpty(Detail);

    public string Message => Errors is { Count: > 0 }
        ? string.Join(" ", Errors.SelectMany(e => e.Value))
        : string.IsNullOrWhiteSpace(Detail) ? Title : Detail;

    public static ApiProblem Parse(HttpStatusCode status, string body, string? fallbackTraceId)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                Dictionary<string, string[]>? errors = null;
                if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
                {
                    errors = e.EnumerateObject().ToDictionary(p => p.Name,
                        p => p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray().Select(x => x.ToString()).ToArray() : [p.Value.ToString()]);
                }
                return new ApiProblem(
                    root.TryGetProperty("status", out var s) && s.TryGetInt32(out var si) ? si : (int)status,
                    Text(root, "title") ?? status.ToString(),
                    Text(root, "detail") ?? "",
                    Text(root, "trace_id") ?? fallbackTraceId,
                    Text(root, "downstream"),
                    errors);
            }
        }
        catch (JsonException)
        {
            // Not a ProblemDetails (a proxy's HTML page, an empty body): described below.
        }
        return new ApiProblem((int)status, status.ToString(), $"The gateway answered {(int)status} without details.", fallbackTraceId, null, null);
    }

    public static ApiProblem FromProblemJson(JsonElement root) =>
        Parse((HttpStatusCode)(root.TryGetProperty("status", out var s) && s.TryGetInt32(out var si) ? si : 502), root.GetRawText(), null);

    public static ApiProblem Unreachable(string what, string? traceId) =>
        new(503, "Gateway unavailable", $"The gateway could not be reached ({what}). Try again shortly.", traceId, null, null);

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>A gateway call failed; <see cref="Problem"/> says how, readably.</summary>
public sealed class GatewayException(ApiProblem problem, TimeSpan? retryAfter = null) : Exception(problem.Message)
{
    public ApiProblem Problem { get; } = problem;

    /// <summary>The gateway's <c>Retry-After</c> on a 503 or 429: when to ask again.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
