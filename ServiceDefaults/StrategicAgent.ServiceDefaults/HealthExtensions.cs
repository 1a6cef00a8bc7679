using System.Text.Json;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Tags that decide which endpoint a health check answers on: <c>/alive</c> = <see cref="Live"/>
/// (the process runs: liveness, restart on failure), <c>/ready</c> = <see cref="Live"/> +
/// <see cref="Ready"/> (it can serve requests: its own database, a model…; take it out of rotation on
/// failure), <c>/health</c> = every check, including what it merely talks to (<see cref="Downstream"/>
/// services, the broker where the service serves without it) — the report that says what is down.
/// </summary>
public static class HealthTags
{
    public const string Live = "live";
    public const string Ready = "ready";
    public const string Downstream = "downstream";
}

public static class HealthExtensions
{
    public const string ReadinessEndpointPath = "/ready";

    /// <summary>How long a downstream may take to answer its gRPC health check.</summary>
    public static readonly TimeSpan DownstreamTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A health check named <paramref name="serviceName"/> (tag <see cref="HealthTags.Downstream"/>):
    /// asks the service's gRPC health service (<c>grpc.health.v1</c>, found like its typed client:
    /// <c>http://_grpc.&lt;name&gt;</c>) whether it can serve. It reports in <c>/health</c>, not in
    /// <c>/ready</c>: a caller that is up while one of its downstreams is down still serves what it can.
    /// </summary>
    public static TBuilder AddDownstreamHealthCheck<TBuilder>(this TBuilder builder, string serviceName) where TBuilder : IHostApplicationBuilder
    {
        var clientName = "health-" + serviceName;
        var client = builder.Services.AddGrpcClient<Health.HealthClient>(clientName, o => o.Address = GrpcClientExtensions.ServiceAddress(builder.Configuration, serviceName));
#pragma warning disable EXTEXP0001 // no resilience handler: a health probe must not be retried into a longer wait
        client.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(serviceName,
            sp => new DownstreamHealthCheck(sp.GetRequiredService<GrpcClientFactory>().CreateClient<Health.HealthClient>(clientName), serviceName),
            failureStatus: null, tags: [HealthTags.Downstream]));
        return builder;
    }

    /// <summary>
    /// The report as JSON: overall status and, per check, its status and our own description — never an
    /// exception message (the gateway's <c>/health</c> is on its public port).
    /// </summary>
    public static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["entries"] = report.Entries.ToDictionary(e => e.Key, e => new Dictionary<string, string>
            {
                ["status"] = e.Value.Status.ToString(),
                ["description"] = e.Value.Description ?? "",
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }

    private sealed class DownstreamHealthCheck(Health.HealthClient client, string service) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + DownstreamTimeout, cancellationToken: cancellationToken);
                return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving
                    ? HealthCheckResult.Healthy($"{service} is serving.")
                    : HealthCheckResult.Unhealthy($"{service} is up but cannot serve (its own checks fail: {reply.Status}).");
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
            {
                return HealthCheckResult.Unhealthy($"{service} did not answer within {DownstreamTimeout.TotalSeconds:0} s.");
            }
            catch (RpcException e)
            {
                return HealthCheckResult.Unhealthy($"{service} is unreachable ({e.StatusCode}).");
            }
            catch (InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy($"{service} has no address (service discovery found none).");
            }
        }
    }
}
