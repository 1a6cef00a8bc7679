using System.Globalization;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StrategicAgent.LocalServers;

namespace StrategicAgent.Testing;

/// <summary>
/// A service's real <c>Program</c> — its Main, exactly as <c>dotnet StrategicAgent.X.dll</c> runs it,
/// with its own appsettings.json — started by <see cref="WebApplicationFactory{TEntryPoint}"/> on
/// Kestrel (real sockets) at free loopback ports, with test configuration on top:
/// <c>Endpoints:GrpcPort</c> / <c>Endpoints:HttpPort</c>, the test tokens' public key
/// (<see cref="TestTokens.ServiceSettings"/>) and whatever the test adds. <typeparamref name="TEntryPoint"/>
/// is any type of the service's assembly (e.g. <c>AgentGrpcService</c>): every service's Program is in
/// the global namespace, so <c>Program</c> itself would be ambiguous in a test that starts several.
/// The test project needs a PackageReference to Microsoft.AspNetCore.Mvc.Testing (its build targets
/// record where each service's content root is).
/// </summary>
public sealed class ServiceUnderTest<TEntryPoint> : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    private readonly Dictionary<string, string?> _settings;
    private readonly string _environment;
    private readonly Action<IServiceCollection>? _services;
    private GrpcChannel? _channel;

    /// <param name="settings">Configuration on top of the service's own (host configuration: Program sees it from its first line).</param>
    /// <param name="environment">The host environment.</param>
    /// <param name="services">Registrations after the service's own (a fixed clock): they win where the service registered the same type.</param>
    public ServiceUnderTest(IReadOnlyDictionary<string, string?>? settings = null, string environment = "Production", Action<IServiceCollection>? services = null)
    {
        _services = services;
        GrpcPort = NativeProcess.FreePort();
        HttpPort = NativeProcess.FreePort();
        _environment = environment;
        _settings = new Dictionary<string, string?>(TestTokens.ServiceSettings)
        {
            ["Endpoints:GrpcPort"] = GrpcPort.ToString(CultureInfo.InvariantCulture),
            ["Endpoints:HttpPort"] = HttpPort.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            _settings[k] = v;
        }
        UseKestrel();
    }

    /// <summary>The HTTP/2-only gRPC port (<c>Endpoints:GrpcPort</c>).</summary>
    public int GrpcPort { get; }

    /// <summary>The HTTP/1 port: health, and the gateway's API (<c>Endpoints:HttpPort</c>).</summary>
    public int HttpPort { get; }

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>A channel to the gRPC port (no credential: add one with <see cref="TestTokens.As"/>).</summary>
    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(GrpcAddress,
        new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024, MaxSendMessageSize = 16 * 1024 * 1024 });

    /// <summary>Starts the service (its hosted services included) and returns once it listens.</summary>
    public ServiceUnderTest<TEntryPoint> Start()
    {
        StartServer();
        return this;
    }

    public IServiceProvider ServiceProvider => Services;

    /// <summary>
    /// Host configuration is what Program.cs sees from its first line (WebApplication.CreateBuilder(args)):
    /// the services read some settings while they wire themselves, before Build.
    /// </summary>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(_settings));
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>A service of the running host.</summary>
    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
}
