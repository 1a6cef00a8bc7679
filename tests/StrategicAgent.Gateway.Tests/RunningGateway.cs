using System.Net.Http.Headers;
using StrategicAgent.Gateway.Auth;
using StrategicAgent.Testing;

namespace StrategicAgent.Gateway.Tests;

/// <summary>The gateway's real Program (<see cref="ServiceUnderTest{TEntryPoint}"/>), listening with Kestrel on a free loopback port.</summary>
public sealed class RunningGateway : IAsyncDisposable
{
    private readonly ServiceUnderTest<CallerTokenIssuer> _service;

    private RunningGateway(ServiceUnderTest<CallerTokenIssuer> service)
    {
        _service = service;
        BaseAddress = service.HttpAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _service.ServiceProvider;

    public static Task<RunningGateway> StartAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var service = new ServiceUnderTest<CallerTokenIssuer>(new Dictionary<string, string?>(TestTokens.GatewaySettings.Concat(settings)));
        return Task.FromResult(new RunningGateway(service.Start()));
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

    public ValueTask DisposeAsync() => _service.DisposeAsync();
}
