using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StrategicAgent.ServiceDefaults.Auth;
using StrategicAgent.Testing;

namespace StrategicAgent.Gateway.Tests.Fakes;

/// <summary>
/// A downstream service stand-in: a Kestrel gRPC server (HTTP/2 cleartext, like the real services)
/// on a free loopback port, implementing the generated base class. Used only until the real service
/// is available to these tests.
/// </summary>
public sealed class FakeGrpcServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeGrpcServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<FakeGrpcServer> StartAsync<TService>(CancellationToken ct) where TService : class
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(TestTokens.ServiceSettings);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        // Verifies the gateway's caller tokens like a real service; the fakes read the tenant from them.
        builder.AddGrpcAuthentication();
        // Like a real service: grpc.health.v1 answers (the gateway's /health asks each downstream).
        builder.Services.AddGrpcHealthChecks().AddCheck("self", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
        builder.Services.AddSingleton<TService>();
        var app = builder.Build();
        app.MapGrpcService<TService>();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FakeGrpcServer(app, new Uri(address));
    }

    public T Service<T>() where T : class => _app.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
