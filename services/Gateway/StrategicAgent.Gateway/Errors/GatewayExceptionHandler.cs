using System.Text.Json;
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
                else if (RpcStatusMapping.RetryAfterSeconds(rpc) is { } retryAfter)
                {
                    // An Unavailable the service answered on purpose ("still loading"): its message is written for
                    // the caller, and the retry hint becomes Retry-After.
                    LogDownstreamFailed(logger, service, rpc.StatusCode, rpc.Status.Detail);
                    detail = rpc.Status.Detail;
                    context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
                    extensions["retry_after_seconds"] = seconds;
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

    /// <summary>A malformed body's problem, including where the JSON parser stopped (no internals).</summary>
    private static string Describe(BadHttpRequestException bad)
    {
        var json = bad.InnerException as JsonException;
        if (json is null)
        {
            return bad.Message;
        }
        var where = json.LineNumber is { } line
            ? $" (line {line + 1}, byte {json.BytePositionInLine + 1}{(string.IsNullOrEmpty(json.Path) ? "" : ", at " + json.Path)})"
            : "";
        return $"The request body is not valid JSON for this endpoint{where}: {FirstSentence(json.Message)}";
    }

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
