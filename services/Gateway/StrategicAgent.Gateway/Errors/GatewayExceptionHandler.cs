using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using Microsoft.AspNetCore.Diagnostics;
using StrategicAgent.Gateway.Auth;

namespace StrategicAgent.Gateway.Errors;

/// <summary>
/// Turns every exception into a ProblemDetails. Downstream gRPC failures are mapped by status
/// (see <see cref="RpcStatusMapping"/>) and name the service that failed; nothing unexpected ever
/// reaches the caller beyond a generic message and a trace id (no stack traces, no internals).
/// </summary>
public sealed partial class GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (context.RequestAborted.IsCancellationRequested
            && exception is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // The caller went away; there is nobody to answer. 499 is nginx's "client closed request".
            LogClientGone(logger, context.Request.Path);
            context.Response.StatusCode = 499;
            return true;
        }

        switch (exception)
        {
            case RpcException rpc:
            {
                // The middleware clears the endpoint before calling handlers; the feature keeps it.
                var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? context.GetEndpoint();
                var service = endpoint?.Metadata.GetMetadata<DownstreamService>()?.Name ?? "downstream";
                var status = RpcStatusMapping.ToHttpStatus(rpc.StatusCode);
                string detail;
                if (RpcStatusMapping.IsCallersFault(status))
                {
                    LogDownstreamRejected(logger, service, rpc.StatusCode, rpc.Status.Detail);
                    detail = string.IsNullOrWhiteSpace(rpc.Status.Detail)
                        ? $"The {service} service rejected the request ({rpc.StatusCode})."
                        : rpc.Status.Detail;
                }
                else if (RpcStatusMapping.RetryAfterSeconds(rpc) is not null)
                {
                    // An Unavailable the service answered on purpose ("still loading"): its message is written for
                    // the caller, and its retry hint becomes Retry-After (below).
                    LogDownstreamFailed(logger, service, rpc.StatusCode, rpc.Status.Detail);
                    detail = rpc.Status.Detail;
                }
                else
                {
                    LogDownstreamFailed(logger, service, rpc.StatusCode, rpc.Status.Detail);
                    detail = RpcStatusMapping.ServerSideDetail(service, rpc.StatusCode);
                }
                var extensions = new Dictionary<string, object?>
                {
                    ["downstream"] = service,
                    ["grpc_status"] = rpc.StatusCode.ToString(),
                };
                if (RpcStatusMapping.RetryAfterSeconds(rpc) is { } seconds)
                {
                    // The service's own hint; any other 503/429 gets the default one (RetryHint).
                    extensions[RetryHint.Extension] = seconds;
                }
                await Problems.WriteAsync(context, status, RpcStatusMapping.Title(status), detail, extensions);
                return true;
            }
            case BadHttpRequestException bad:
                await Problems.WriteAsync(context, bad.StatusCode, "Bad request", Describe(bad));
                return true;
            case KeyStoreUnavailableException:
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                    "API keys cannot be checked right now (the key store is unavailable). Try again shortly.");
                return true;
            case DownstreamContractException contract:
                LogContract(logger, contract, contract.Service);
                await Problems.WriteAsync(context, StatusCodes.Status502BadGateway, "Bad gateway",
                    $"The {contract.Service} service sent an answer the gateway could not read.");
                return true;
            default:
                LogUnhandled(logger, exception, context.Request.Method, context.Request.Path);
                await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal server error",
                    "An unexpected error occurred. Quote the trace_id when reporting it.");
                return true;
        }
    }

    /// <summary>
    /// A malformed request's problem: where the JSON parser stopped and what it wanted, or which
    /// parameter could not be read. ASP.NET Core's and System.Text.Json's messages name .NET types
    /// ("could not be converted to StrategicAgent.Gateway.Apis.AskBody", "Nullable`1 limit"); the
    /// caller gets the JSON kind it should have sent instead.
    /// </summary>
    internal static string Describe(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            var where = json.LineNumber is { } line
                ? $" (line {line + 1}, byte {json.BytePositionInLine + 1}{(string.IsNullOrEmpty(json.Path) ? "" : ", at " + json.Path)})"
                : "";
            var what = ConvertFailure().Match(json.Message) is { Success: true } convert
                ? $"the value {(string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "" : "at " + json.Path + " ")}should be {JsonKind(convert.Groups["type"].Value)}."
                : FirstSentence(json.Message);
            return WithoutTypeNames($"The request body is not valid JSON for this endpoint{where}: {what}");
        }
        if (BindFailure().Match(bad.Message) is { Success: true } bind)
        {
            var value = bind.Groups["value"].Value;
            return $"'{(value.Length > 100 ? value[..100] + "…" : value)}' is not a valid {bind.Groups["name"].Value}: it should be " +
                   $"{JsonKind(bind.Groups["type"].Value)}.";
        }
        if (MissingBody().IsMatch(bad.Message))
        {
            return "This endpoint needs a JSON request body (Content-Type: application/json).";
        }
        if (MissingParameter().Match(bad.Message) is { Success: true } missing)
        {
            return $"{missing.Groups["name"].Value} is required (from the {missing.Groups["source"].Value}).";
        }
        return WithoutTypeNames(bad.Message);
    }

    /// <summary>What a caller should send for a .NET type, in JSON words.</summary>
    private static string JsonKind(string type)
    {
        var t = NullableType().Replace(type, "$1");
        if (t.Contains("Dictionary", StringComparison.Ordinal))
        {
            return "an object";
        }
        if (t.Contains("List", StringComparison.Ordinal) || t.Contains("[]", StringComparison.Ordinal) || t.Contains("Enumerable", StringComparison.Ordinal))
        {
            return t.Contains("String", StringComparison.OrdinalIgnoreCase) ? "an array of strings" : "an array";
        }
        return t.Split('.')[^1].TrimEnd(']') switch
        {
            "String" or "string" => "a string",
            "Int32" or "int" or "Int64" or "long" or "Int16" or "short" => "a whole number",
            "Double" or "double" or "Single" or "float" or "Decimal" or "decimal" => "a number",
            "Boolean" or "bool" => "true or false",
            "DateTime" or "DateTimeOffset" or "DateOnly" => "an ISO 8601 date",
            "Guid" => "a GUID",
            _ when t.StartsWith("System.", StringComparison.Ordinal) => "a value of another kind",
            _ => "an object",
        };
    }

    /// <summary>The last line of defence: no namespace-qualified or generic .NET type name reaches a caller.</summary>
    private static string WithoutTypeNames(string message) => TypeName().Replace(message, "a value");

    [GeneratedRegex(@"could not be converted to (?<type>[^\s]+?)\.?(\s|$)")]
    private static partial Regex ConvertFailure();

    [GeneratedRegex(@"^Failed to bind parameter ""(?<type>.+) (?<name>[^ ""]+)"" from ""(?<value>.*)""\.?$", RegexOptions.Singleline)]
    private static partial Regex BindFailure();

    [GeneratedRegex(@"^Implicit body inferred|^Required parameter ""[^""]+"" was not provided from (the request )?body")]
    private static partial Regex MissingBody();

    [GeneratedRegex(@"^Required parameter ""(?<type>.+) (?<name>[^ ""]+)"" was not provided from (?<source>[^.]+)\.?$")]
    private static partial Regex MissingParameter();

    [GeneratedRegex(@"Nullable(?:`1\[|<)([^\]>]+)[\]>]")]
    private static partial Regex NullableType();

    [GeneratedRegex(@"\b(?:System|Microsoft|StrategicAgent)\.[\w.`\[\],<>]+|\b\w+`\d+(?:\[[^\]]*\])?|\b\w+<[\w.,<> ]+>")]
    private static partial Regex TypeName();

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(" Path:", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }

    [LoggerMessage(LogLevel.Debug, "Client closed the request to {Path}")]
    private static partial void LogClientGone(ILogger logger, PathString path);

    [LoggerMessage(LogLevel.Information, "The {Service} service rejected a request: {GrpcStatus} {GrpcDetail}")]
    private static partial void LogDownstreamRejected(ILogger logger, string service, StatusCode grpcStatus, string grpcDetail);

    [LoggerMessage(LogLevel.Warning, "The {Service} service failed: {GrpcStatus} {GrpcDetail}")]
    private static partial void LogDownstreamFailed(ILogger logger, string service, StatusCode grpcStatus, string grpcDetail);

    [LoggerMessage(LogLevel.Error, "The {Service} service sent an unreadable answer")]
    private static partial void LogContract(ILogger logger, Exception ex, string service);

    [LoggerMessage(LogLevel.Error, "Unhandled exception on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception ex, string method, PathString path);
}

/// <summary>A downstream answer broke its contract (e.g. a row that is not a JSON array).</summary>
public sealed class DownstreamContractException(string service, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Service { get; } = service;
}
