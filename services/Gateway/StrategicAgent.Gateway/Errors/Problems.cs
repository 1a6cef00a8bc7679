using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace StrategicAgent.Gateway.Errors;

/// <summary>Every error the gateway answers is a ProblemDetails; this writes one outside an endpoint.</summary>
public static class Problems
{
    /// <summary>
    /// Writes a ProblemDetails whatever the request's Accept header says (a browser or an SSE client
    /// asking for text/event-stream still gets a readable error).
    /// </summary>
    public static Task WriteAsync(HttpContext context, int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (extensions is not null)
        {
            foreach (var (k, v) in extensions)
            {
                problem.Extensions[k] = v;
            }
        }
        AddTraceId(problem, context);
        context.Response.StatusCode = status;
        RetryHint.Apply(problem, context);
        return TypedResults.Problem(problem).ExecuteAsync(context);
    }

    public static void AddTraceId(ProblemDetails problem, HttpContext context) =>
        problem.Extensions.TryAdd("trace_id", Activity.Current?.Id ?? context.TraceIdentifier);
}
