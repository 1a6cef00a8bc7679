using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using StrategicAgent.ServiceDefaults.Auth;

namespace StrategicAgent.Gateway.Auth;

/// <summary>Section <c>Auth</c> of the gateway: the key it signs caller tokens with, and their lifetime.</summary>
public sealed class GatewayAuthOptions
{
    /// <summary>ECDSA P-256 private key (PEM or base64 PKCS#8 DER). Only the gateway has it; the AppHost generates one per start unless <c>StrategicAgent:Auth:SigningKey</c> is set.</summary>
    [Required(ErrorMessage = "Auth:SigningKey is required: the ECDSA P-256 private key (PEM, or base64 PKCS#8 DER) the gateway signs the services' caller tokens with. The AppHost sets it; see docs/api.md, \"Calling the gRPC services\".")]
    public string? SigningKey { get; set; }

    /// <summary>How long a token is valid. The gateway reuses a token for its own calls while at least half of it is left.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00", ErrorMessage = "Auth:TokenLifetime must be between 00:01:00 and 01:00:00.")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>A minted token and what it says.</summary>
public sealed record IssuedToken(string AccessToken, DateTimeOffset ExpiresAt, long ClientId, IReadOnlyList<string> Scopes);

/// <summary>
/// Turns an API-key principal into the caller token the gRPC services verify: same tenant, same
/// scopes, subject <c>api-key:&lt;key prefix&gt;</c>, <c>Auth:TokenLifetime</c> (default 5 min).
/// Tokens for the gateway's own downstream calls are reused while at least half their lifetime is
/// left, so a call (and the agent's calls made with the forwarded token) never starts with a token
/// about to expire.
/// </summary>
public sealed class CallerTokenIssuer : IDisposable
{
    private const int MaxCached = 10_000;
    private readonly ECDsa _key;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(long ClientId, string Scopes, string Subject), IssuedToken> _cache = new();

    public CallerTokenIssuer(IOptions<GatewayAuthOptions> options, TimeProvider time)
    {
        _key = CallerTokens.LoadKey(options.Value.SigningKey!, requirePrivate: true, "Auth:SigningKey");
        _lifetime = options.Value.TokenLifetime;
        _time = time;
    }

    public TimeSpan Lifetime => _lifetime;

    /// <summary>A token for a downstream call made for <paramref name="user"/> (cached, at least half its lifetime left).</summary>
    public IssuedToken For(ClaimsPrincipal user)
    {
        var (clientId, scopes, subject) = Describe(user);
        var key = (clientId, string.Join(' ', scopes), subject);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.ExpiresAt - now >= _lifetime / 2)
        {
            return cached;
        }
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        return _cache[key] = Mint(clientId, scopes, subject, now);
    }

    /// <summary>A new token with the full lifetime (<c>POST /api/v1/auth/token</c>).</summary>
    public IssuedToken Fresh(ClaimsPrincipal user)
    {
        var (clientId, scopes, subject) = Describe(user);
        return Mint(clientId, scopes, subject, _time.GetUtcNow());
    }

    private IssuedToken Mint(long clientId, string[] scopes, string subject, DateTimeOffset now) =>
        new(CallerTokens.Mint(_key, clientId, scopes, subject, now, _lifetime), now + _lifetime, clientId, scopes);

    private static (long ClientId, string[] Scopes, string Subject) Describe(ClaimsPrincipal user) =>
        (user.ClientId(),
         user.FindAll(ApiKeyDefaults.ScopeClaim).Select(c => c.Value).Order(StringComparer.Ordinal).ToArray(),
         "api-key:" + user.KeyPrefix());

    public void Dispose() => _key.Dispose();
}
