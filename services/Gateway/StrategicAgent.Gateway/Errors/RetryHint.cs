using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace StrategicAgent.Gateway.Errors;

/// <summary>
/// Every 503 and 429 the gateway answers says when to come back: a <c>Retry-After</c> header in whole seconds and the
/// same number as <c>retry_after_seconds</c> in its ProblemDetails (docs/api.md, "Errors"). The number is the
/// service's own hint where it sent one (the prediction service while a tenant's data loads), else
/// <see cref="DefaultSeconds"/>.
/// </summary>
public static class RetryHint
{
    /// <summary>
    /// The hint for a service (or the primary) that is down: the AppHost's watchdog and Kubernetes restart a killed
    /// process within seconds, and callers were served again 5–20 s after a SIGKILL (docs/reliability.md), so a
    /// client that waits 5 s between tries comes back about when the service does, without hammering it.
    /// </summary>
    public const int DefaultSeconds = 5;

    public const string Extension = "retry_after_seconds";

    /// <summary>Whether an answer of this status must carry the hint: 503 (come back later) and 429 (slow down).</summary>
    public static bool Applies(int status) => status is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests;

    /// <summary>
    /// Adds the hint to a 503/429 problem about to be written (the extension the caller set, else the header's, else
    /// the default) and sets the same number as <c>Retry-After</c> while the headers can still change.
    /// </summary>
    public static void Apply(ProblemDetails problem, HttpContext context)
    {
        if (!Applies(problem.Status ?? context.Response.StatusCode))
        {
            return;
        }
        var seconds = problem.Extensions.TryGetValue(Extension, out var set) && set is int given ? given : FromHeader(context) ?? DefaultSeconds;
        problem.Extensions[Extension] = seconds;
        if (!context.Response.HasStarted)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// The safety net for a 503/429 that is not a ProblemDetails (the health report's 503, an empty status page): the
    /// header alone, set when the response starts.
    /// </summary>
    public static IApplicationBuilder UseRetryAfterOnUnavailable(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(static state =>
        {
            var response = ((HttpContext)state).Response;
            if (Applies(response.StatusCode) && !response.Headers.ContainsKey("Retry-After"))
            {
                response.Headers.RetryAfter = DefaultSeconds.ToString(CultureInfo.InvariantCulture);
            }
            return Task.CompletedTask;
        }, context);
        return next(context);
    });

    private static int? FromHeader(HttpContext context) =>
        int.TryParse(context.Response.Headers.RetryAfter.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : null;
}
