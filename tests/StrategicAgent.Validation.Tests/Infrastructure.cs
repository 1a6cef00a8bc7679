using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Testing;
using StrategicAgent.Validation.Extensions;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>Tests that need the real PostgreSQL primary + replica (with small demo data) share one.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<DemoDataFixture>
{
    public const string Name = "replica";
}

/// <summary>
/// The validation service's own WebApplication (<see cref="ValidationApp.BuildValidationApp"/>) on a
/// free 127.0.0.1 port with an HTTP/2-only Kestrel endpoint, and a real GrpcChannel to it.
/// </summary>
public sealed class ValidationHost : IAsyncDisposable
{
    private ValidationHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024, MaxSendMessageSize = 16 * 1024 * 1024 });
        Client = ClientFor(TestTenant);
    }

    /// <summary>The tenant <see cref="Client"/> calls as (a demo-data tenant: active on the replica).</summary>
    public const long TestTenant = 1;

    public WebApplication App { get; }

    public Uri Address { get; }

    public GrpcChannel Channel { get; }

    /// <summary>A client calling as <see cref="TestTenant"/> (a caller token with the query scope).</summary>
    public ValidationService.ValidationServiceClient Client { get; }

    /// <summary>A client calling as <paramref name="clientId"/>.</summary>
    public ValidationService.ValidationServiceClient ClientFor(long clientId) => new(Channel.As(clientId));

    public static async Task<ValidationHost> StartAsync(string? replicaConnectionString, IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Development",
            ApplicationName = typeof(ValidationApp).Assembly.GetName().Name,
        });
        var config = new Dictionary<string, string?>(TestTokens.ServiceSettings)
        {
            ["Validation:Catalog:Source"] = replicaConnectionString is null ? "Schema" : "Replica",
        };
        if (replicaConnectionString is not null)
        {
            config["ConnectionStrings:replica"] = replicaConnectionString;
        }
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.BuildValidationApp();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ValidationHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
