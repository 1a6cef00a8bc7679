using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Core;
using Grpc.Core.Interceptors;
using StrategicAgent.ServiceDefaults.Auth;

namespace StrategicAgent.Bench;

/// <summary>
/// Caller tokens for the benchmarks' direct gRPC calls (docs/CONVENTIONS.md, "Who the caller is").
/// Self-hosted runs play the gateway with a key pair of their own: the services they start get
/// <see cref="ServiceSettings"/>, a gateway they start <see cref="GatewaySettings"/>. Against a
/// running system the token is <c>--token</c>, or fetched (and refreshed) from
/// <c>--gateway</c> with <c>--api-key</c> (POST /api/v1/auth/token), as any platform client would.
/// </summary>
internal static class BenchTokens
{
    private static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly TimeSpan SelfHostedLifetime = TimeSpan.FromHours(1);

    /// <summary>The parent bench's public key, given to a bench process started with <c>--serve</c> (it verifies the parent's tokens).</summary>
    public const string ParentPublicKeyVariable = "SA_BENCH_PUBLIC_KEY";

    public static IReadOnlyDictionary<string, string?> ServiceSettings { get; } = new Dictionary<string, string?>
    {
        ["Auth:PublicKey"] = Environment.GetEnvironmentVariable(ParentPublicKeyVariable) is { Length: > 0 } parent ? parent : Key.ExportSubjectPublicKeyInfoPem(),
    };

    public static IReadOnlyDictionary<string, string?> GatewaySettings { get; } =
        new Dictionary<string, string?> { ["Auth:SigningKey"] = Key.ExportPkcs8PrivateKeyPem() };

    /// <summary>The same as environment variables, for services started as child processes.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ServiceEnvironment =>
        ServiceSettings.Select(kv => new KeyValuePair<string, string>(kv.Key.Replace(":", "__", StringComparison.Ordinal), kv.Value!));

    /// <summary>Self-hosted: calls through this invoker carry a token of <paramref name="clientId"/> (query, and admin when asked).</summary>
    public static CallInvoker AsTenant(this ChannelBase channel, long clientId, bool admin = false)
    {
        var source = new Refreshing(() =>
        {
            var now = DateTimeOffset.UtcNow;
            string[] scopes = admin ? [CallerScopes.Query, CallerScopes.Admin] : [CallerScopes.Query];
            return (CallerTokens.Mint(Key, clientId, scopes, "bench", now, SelfHostedLifetime), now + SelfHostedLifetime);
        });
        return channel.Intercept(new CallerCredentialInterceptor(source.Authorization));
    }

    /// <summary>
    /// Against a running service: <c>--token</c>, else a token from <c>--gateway</c> + <c>--api-key</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Neither was given.</exception>
    public static CallInvoker ForRunningSystem(ChannelBase channel, IReadOnlyDictionary<string, string> options)
    {
        if (options.TryGetValue("token", out var token))
        {
            return channel.Intercept(new CallerCredentialInterceptor(() => "Bearer " + token));
        }
        if (options.TryGetValue("gateway", out var gateway) && options.TryGetValue("api-key", out var apiKey))
        {
            var http = new HttpClient { BaseAddress = new Uri(gateway.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
            var source = new Refreshing(() =>
            {
                using var response = http.Send(new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/token"));
                response.EnsureSuccessStatusCode();
                using var json = JsonDocument.Parse(response.Content.ReadAsStream());
                return (json.RootElement.GetProperty("access_token").GetString()!, json.RootElement.GetProperty("expires_at").GetDateTimeOffset());
            });
            return channel.Intercept(new CallerCredentialInterceptor(source.Authorization));
        }
        throw new ArgumentException("--grpc calls a running service directly, which needs a caller token: --token TOKEN (from POST /api/v1/auth/token, docs/api.md), or --gateway URL with --api-key KEY to fetch one");
    }

    /// <summary>A token renewed when less than a minute (or a tenth of its life) is left.</summary>
    private sealed class Refreshing(Func<(string Token, DateTimeOffset Expires)> mint)
    {
        private readonly Lock _gate = new();
        private (string Token, DateTimeOffset Expires, TimeSpan Life) _current;

        public string? Authorization()
        {
            lock (_gate)
            {
                var now = DateTimeOffset.UtcNow;
                if (_current.Token is null || _current.Expires - now < TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, _current.Life.Ticks / 10)))
                {
                    var (token, expires) = mint();
                    _current = (token, expires, expires - now);
                }
                return "Bearer " + _current.Token;
            }
        }
    }
}
