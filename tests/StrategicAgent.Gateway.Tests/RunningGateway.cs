using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using StrategicAgent.LocalServers;
using StrategicAgent.Testing;

namespace StrategicAgent.Gateway.Tests;

/// <summary>The real gateway, listening with Kestrel on a free loopback port.</summary>
public sealed class RunningGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningGateway(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<RunningGateway> StartAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken ct)
    {
        var port = NativeProcess.FreePort();
        var app = GatewayApp.Create(
            new WebApplicationOptions
            {
                Args = [],
                ApplicationName = "StrategicAgent.Gateway",
                // The gateway's own directory: its appsettings.json and wwwroot, as when it runs for real.
                ContentRootPath = ServiceDirectory("Gateway"),
                EnvironmentName = "Production",
            },
            b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestTokens.GatewaySettings.Concat(settings))
            {
                ["Endpoints:HttpPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            }));
        await app.StartAsync(ct);
        return new RunningGateway(app, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>A client of the gateway, with an API key when one is given.</summary>
    public HttpClient Client(string? apiKey = null)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A service's source directory (its appsettings.json and wwwroot).</summary>
    public static string ServiceDirectory(string service)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StrategicAgent.sln")))
            {
                return Path.Combine(dir.FullName, "services", service, "StrategicAgent." + service);
            }
        }
        throw new InvalidOperationException("StrategicAgent.sln not found above " + AppContext.BaseDirectory);
    }
}
