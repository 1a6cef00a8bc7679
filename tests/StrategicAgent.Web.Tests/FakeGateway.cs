using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StrategicAgent.Web.Tests;

/// <summary>
/// A stand-in for the gateway's HTTP API on a real socket, for what the real system will not do on
/// demand: its alerts route answers <see cref="UnavailableTimes"/> times 503 — with <c>Retry-After</c>
/// and the ProblemDetails the gateway writes when the prediction service is still loading a tenant's
/// data (<c>GatewayExceptionHandler</c>) — and then 200. Every alerts call is recorded with its time,
/// status and trace id. Also answers <c>/api/v1/me</c> for one key (sign-in) and the catalog as a
/// route not served yet (the Ask page after sign-in).
/// </summary>
internal sealed class FakeGateway : IAsyncDisposable
{
    public const string AlertAction = "Rework predictions jumped for mobile-app: check the latest pull requests.";
    public const string LoadingDetail = "The rework features of this tenant are being loaded (started 2.1 s ago); retry in 1 s.";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<AlertsCall> _calls = new();
    private int _answered;

    private FakeGateway(WebApplication app) => _app = app;

    /// <summary>How many alerts calls (from now on, see <see cref="Reset"/>) answer 503 before one answers 200.</summary>
    public int UnavailableTimes { get; private set; }

    /// <summary>The 503's <c>Retry-After</c> in seconds; null for a 503 without one (as a proxy in front of the gateway might answer).</summary>
    public int? RetryAfterSeconds { get; private set; }

    /// <summary>What the alerts and train routes answer while unavailable: 503 (come back later) or 429 (slow down).</summary>
    public int UnavailableStatus { get; private set; } = 503;

    public string Url { get; private set; } = "";

    public IReadOnlyList<AlertsCall> AlertsCalls => [.. _calls];

    /// <summary>Every call to <c>POST /api/v1/models/{name}/train</c> (a request that must not be sent twice): always 503/429.</summary>
    public IReadOnlyList<AlertsCall> TrainCalls => [.. _trainCalls];

    private readonly ConcurrentQueue<AlertsCall> _trainCalls = new();

    public void Reset(int unavailableTimes, int? retryAfterSeconds, int unavailableStatus = 503)
    {
        UnavailableTimes = unavailableTimes;
        RetryAfterSeconds = retryAfterSeconds;
        UnavailableStatus = unavailableStatus;
        _calls.Clear();
        _trainCalls.Clear();
        Interlocked.Exchange(ref _answered, 0);
    }

    public static async Task<FakeGateway> StartAsync(string apiKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var fake = new FakeGateway(app);

        app.MapGet("/api/v1/me", (HttpContext http) => http.Request.Headers["X-Api-Key"] == apiKey
            ? Results.Json(new { client_id = 1, scopes = new[] { "query" }, key_prefix = apiKey[..8] })
            : Problem(401, "Unauthorized", "The API key is not valid.", null));
        // A route this gateway does not serve: a 404 without detail or downstream.
        app.MapGet("/api/v1/agent/catalog", () => Results.Json(new { status = 404, title = "Not Found" }, statusCode: 404, contentType: "application/problem+json"));
        app.MapGet("/api/v1/alerts", (HttpContext http) =>
        {
            var n = Interlocked.Increment(ref fake._answered);
            var traceId = $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01";
            if (n <= fake.UnavailableTimes)
            {
                fake._calls.Enqueue(new AlertsCall(Stopwatch.GetTimestamp(), fake.UnavailableStatus, traceId));
                return fake.Unavailable(http, traceId);
            }
            fake._calls.Enqueue(new AlertsCall(Stopwatch.GetTimestamp(), 200, traceId));
            return Results.Json(new
            {
                alerts = new[]
                {
                    new
                    {
                        id = 7, model_name = "rework", severity = "critical", score = 0.93, alert_data = new { reason = "retry test" },
                        acknowledged = false, acknowledged_by = (string?)null, acknowledged_at = (DateTimeOffset?)null,
                        created_at = new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero), recommended_action = AlertAction,
                    },
                },
            });
        });
        app.MapPost("/api/v1/models/{name}/train", (HttpContext http) =>
        {
            var traceId = $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01";
            fake._trainCalls.Enqueue(new AlertsCall(Stopwatch.GetTimestamp(), fake.UnavailableStatus, traceId));
            return fake.Unavailable(http, traceId);
        });
        await app.StartAsync();
        fake.Url = app.Urls.Single();
        return fake;
    }

    private IResult Unavailable(HttpContext http, string traceId)
    {
        if (RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return UnavailableStatus == 429
            ? Problem(429, "Too many requests", "Too many requests for this tenant; slow down.", traceId)
            : Problem(503, "Service unavailable", LoadingDetail, traceId);
    }

    /// <summary>The gateway's ProblemDetails shape (docs/api.md, "Errors"): trace id and downstream as extensions.</summary>
    private static IResult Problem(int status, string title, string detail, string? traceId) =>
        Results.Json(new { type = "about:blank", title, status, detail, downstream = status == 503 ? "prediction" : null, trace_id = traceId },
            statusCode: status, contentType: "application/problem+json");

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One call to the fake's alerts route: when (<see cref="Stopwatch"/> timestamp), what it answered, its trace id.</summary>
internal sealed record AlertsCall(long Timestamp, int Status, string TraceId);
