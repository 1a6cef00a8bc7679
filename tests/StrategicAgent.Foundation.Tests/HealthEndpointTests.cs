using System.Net;
using System.Text.Json;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using StrategicAgent.LocalServers;
using Xunit;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// Liveness, readiness and the full health report as every host maps them (ServiceDefaults), over
/// real sockets: a "downstream" gRPC service and a "caller" that checks it, as the gateway checks the
/// four services. The downstream is then stopped (and its readiness broken) to see what each
/// endpoint says.
/// </summary>
public sealed class HealthEndpointTests : IAsyncLifetime
{
    private WebApplication _downstream = null!;
    private WebApplication _caller = null!;
    private int _downstreamGrpc;
    private int _downstreamHttp;
    private int _callerHttp;
    private volatile bool _databaseUp = true;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _downstreamGrpc = NativeProcess.FreePort();
        _downstreamHttp = NativeProcess.FreePort();
        _callerHttp = NativeProcess.FreePort();
        var d = WebApplication.CreateBuilder();
        d.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Endpoints:GrpcPort"] = _downstreamGrpc.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Endpoints:HttpPort"] = _downstreamHttp.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        // A gRPC host verifies caller tokens (health and reflection stay open): the test key.
        d.Configuration.AddInMemoryCollection(StrategicAgent.Testing.TestTokens.ServiceSettings);
        d.AddServiceDefaults();
        d.AddGrpcDefaults();
        d.UseServiceEndpoints();
        // Its own database (needed to serve: ready) and a broker it can serve without (health only).
        d.Services.AddHealthChecks()
            .AddCheck("database", () => _databaseUp ? HealthCheckResult.Healthy("reachable") : HealthCheckResult.Unhealthy("unreachable"), [HealthTags.Ready])
            .AddCheck("broker", () => HealthCheckResult.Unhealthy("not connected"), ["masstransit"]);
        _downstream = d.Build();
        _downstream.MapDefaultEndpoints();
        _downstream.MapGrpcDefaults();
        await _downstream.StartAsync(Ct);

        var c = WebApplication.CreateBuilder();
        c.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Endpoints:HttpPort"] = _callerHttp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // What the AppHost injects for WithReference(validation).
            ["services:validation:grpc:0"] = $"http://localhost:{_downstreamGrpc}",
        });
        c.AddServiceDefaults();
        c.UseServiceEndpoints();
        c.AddDownstreamHealthCheck("validation");
        _caller = c.Build();
        _caller.MapDefaultEndpoints();
        await _caller.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in new[] { _caller, _downstream })
        {
            try
            {
                await app.StopAsync();
            }
            catch (ObjectDisposedException)
            {
            }
            await app.DisposeAsync();
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement? Body)> GetAsync(int port, string path)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync($"http://127.0.0.1:{port}{path}", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        if (path == "/alive")
        {
            Assert.Equal(response.IsSuccessStatusCode ? "Healthy" : "Unhealthy", text);
            return (response.StatusCode, null);
        }
        using var doc = JsonDocument.Parse(text);
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private static string Entry(JsonElement? body, string name) =>
        body!.Value.GetProperty("entries").GetProperty(name).GetProperty("status").GetString()!;

    [Fact]
    public async Task Alive_ready_and_health_answer_what_each_is_for()
    {
        // The downstream: alive, ready (its database is up), not healthy (its broker is down) — and the
        // report names the broker with our own description, never an exception's text.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(_downstreamHttp, "/alive")).Status);
        var ready = await GetAsync(_downstreamHttp, "/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.False(ready.Body!.Value.GetProperty("entries").TryGetProperty("broker", out _));
        var health = await GetAsync(_downstreamHttp, "/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
        Assert.Equal("Unhealthy", Entry(health.Body, "broker"));
        Assert.Equal("not connected", health.Body!.Value.GetProperty("entries").GetProperty("broker").GetProperty("description").GetString());
        Assert.Equal("Healthy", Entry(health.Body, "database"));

        // Its gRPC health is its readiness: SERVING although the broker is down.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_downstreamGrpc}");
        var grpc = new Health.HealthClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await grpc.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct)).Status);

        // The caller reports the downstream as serving.
        var caller = await GetAsync(_callerHttp, "/health");
        Assert.Equal(HttpStatusCode.OK, caller.Status);
        Assert.Equal("Healthy", Entry(caller.Body, "validation"));
    }

    [Fact]
    public async Task A_downstream_that_cannot_serve_or_is_gone_is_named_in_the_callers_health_but_not_its_readiness()
    {
        _databaseUp = false; // the downstream is up but not ready
        using (var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_downstreamGrpc}"))
        {
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing,
                (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), cancellationToken: Ct)).Status);
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync(_downstreamHttp, "/ready")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(_downstreamHttp, "/alive")).Status);
        var notServing = await GetAsync(_callerHttp, "/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notServing.Status);
        Assert.Equal("Unhealthy", Entry(notServing.Body, "validation"));
        Assert.Contains("cannot serve", notServing.Body!.Value.GetProperty("entries").GetProperty("validation").GetProperty("description").GetString(), StringComparison.Ordinal);

        await _downstream.StopAsync(Ct); // gone
        var gone = await GetAsync(_callerHttp, "/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, gone.Status);
        Assert.Contains("unreachable", gone.Body!.Value.GetProperty("entries").GetProperty("validation").GetProperty("description").GetString(), StringComparison.Ordinal);
        // The caller itself can still serve what does not need the downstream: ready and alive.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(_callerHttp, "/ready")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(_callerHttp, "/alive")).Status);
    }
}
