using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StrategicAgent.LocalServers;
using Xunit;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// ServiceDefaults over real sockets: a service laid out as every StrategicAgent host is
/// (gRPC on an HTTP/2-only port, /health and /alive on an HTTP/1 port) and a typed gRPC client
/// that finds it through service discovery, as the AppHost wires them.
/// </summary>
public sealed class ServiceDefaultsTests : IAsyncLifetime
{
    private WebApplication? _server;
    private int _grpcPort;
    private int _httpPort;

    public async ValueTask InitializeAsync()
    {
        _grpcPort = NativeProcess.FreePort();
        _httpPort = NativeProcess.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(StrategicAgent.Testing.TestTokens.ServiceSettings)
        {
            ["Endpoints:GrpcPort"] = _grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Endpoints:HttpPort"] = _httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.AddServiceDefaults();
        builder.AddGrpcDefaults();
        builder.UseServiceEndpoints();
        _server = builder.Build();
        _server.MapDefaultEndpoints();
        _server.MapGrpcDefaults();
        await _server.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Health_and_alive_answer_on_the_http_port_in_production_too()
    {
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;
        foreach (var path in new[] { "/health", "/ready", "/alive" })
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{_httpPort}{path}", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync(ct);
            // /alive says only its status; /health and /ready report each check as JSON (HealthEndpointTests).
            Assert.StartsWith(path == "/alive" ? "Healthy" : "{\"status\":\"Healthy\"", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Grpc_port_speaks_http2_only()
    {
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;
        // An HTTP/1.1 request to the HTTP/2-only port is not served.
        using var response = await http.GetAsync($"http://127.0.0.1:{_grpcPort}/health", ct);
        TestContext.Current.SendDiagnosticMessage($"HTTP/1.1 to gRPC port: {(int)response.StatusCode} {response.Version} {await response.Content.ReadAsStringAsync(ct)}");
        Assert.False(response.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Typed_grpc_client_resolves_the_service_by_name_and_calls_it()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = ClientHost(new()
        {
            // What the AppHost injects for WithReference(validation).
            ["services:validation:grpc:0"] = $"http://localhost:{_grpcPort}",
            ["services:validation:http:0"] = $"http://localhost:{_httpPort}",
        });
        var health = client.Services.GetRequiredService<Health.HealthClient>();
        var reply = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: ct);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Calls_without_a_deadline_get_the_default_deadline()
    {
        var ct = TestContext.Current.CancellationToken;
        // A port that accepts connections and never answers: without a deadline the call would hang.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var client = ClientHost(new() { ["services:validation:grpc:0"] = $"http://127.0.0.1:{port}" }, TimeSpan.FromMilliseconds(500));
        var health = client.Services.GetRequiredService<Health.HealthClient>();

        var started = DateTime.UtcNow;
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await health.CheckAsync(new HealthCheckRequest(), cancellationToken: ct));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Calls_are_not_cut_by_the_standard_10_second_attempt_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var client = ClientHost(new() { ["services:validation:grpc:0"] = $"http://127.0.0.1:{port}" }, TimeSpan.FromSeconds(12));
        var health = client.Services.GetRequiredService<Health.HealthClient>();

        // Still pending after 10.5 s: no 10 s attempt timeout (and no retry) in the gRPC client's pipeline.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var call = health.CheckAsync(new HealthCheckRequest(), cancellationToken: cts.Token).ResponseAsync;
        var finished = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(10.5), ct));
        Assert.NotSame(call, finished);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }

    private static IHost ClientHost(Dictionary<string, string?> config, TimeSpan? deadline = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(config);
        builder.AddServiceDefaults();
        builder.AddGrpcServiceClient<Health.HealthClient>("validation", deadline);
        return builder.Build();
    }
}
