using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using StrategicAgent.ServiceDefaults.Auth;

namespace StrategicAgent.Testing;

/// <summary>
/// Caller tokens for tests (docs/CONVENTIONS.md, "Who the caller is"). One key pair per test
/// process plays the gateway's: give every gRPC service under test <see cref="ServiceSettings"/>
/// (its <c>Auth:PublicKey</c>) and a gateway under test <see cref="GatewaySettings"/> (its
/// <c>Auth:SigningKey</c>); then call as a tenant with <c>new XClient(channel.As(tenant))</c>, or
/// send <see cref="Bearer"/> yourself. The forged variants are for the security tests.
/// </summary>
public static class TestTokens
{
    private static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly ECDsa OtherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static string SigningKeyPem { get; } = Key.ExportPkcs8PrivateKeyPem();
    public static string PublicKeyPem { get; } = Key.ExportSubjectPublicKeyInfoPem();

    public static TimeSpan Lifetime { get; } = TimeSpan.FromMinutes(10);

    /// <summary>What a gRPC service under test needs to verify tokens (<c>Auth:PublicKey</c>).</summary>
    public static IReadOnlyDictionary<string, string?> ServiceSettings { get; } =
        new Dictionary<string, string?> { ["Auth:PublicKey"] = PublicKeyPem };

    /// <summary>What a gateway under test needs to mint tokens (<c>Auth:SigningKey</c>).</summary>
    public static IReadOnlyDictionary<string, string?> GatewaySettings { get; } =
        new Dictionary<string, string?> { ["Auth:SigningKey"] = SigningKeyPem };

    /// <summary>A valid token of <paramref name="clientId"/> with the given scopes (default: query), as the gateway mints it.</summary>
    public static string For(long clientId, params string[] scopes) =>
        CallerTokens.Mint(Key, clientId, scopes.Length == 0 ? [CallerScopes.Query] : scopes, $"test:tenant-{clientId}", DateTimeOffset.UtcNow, Lifetime);

    /// <summary>An operator token: query and admin.</summary>
    public static string Admin(long clientId) => For(clientId, CallerScopes.Query, CallerScopes.Admin);

    /// <summary>The <c>authorization</c> header value for a token.</summary>
    public static string Bearer(string token) => "Bearer " + token;

    /// <summary>Call metadata carrying a token of <paramref name="clientId"/> (default scope: query).</summary>
    public static Metadata Headers(long clientId, params string[] scopes) => HeadersWith(For(clientId, scopes));

    public static Metadata HeadersWith(string token) => new() { { CallerCredentialExtensions.AuthorizationHeader, Bearer(token) } };

    /// <summary>
    /// Calls through this invoker carry a token of <paramref name="clientId"/> (default scope: query),
    /// minted once: <c>new AgentService.AgentServiceClient(channel.As(1))</c>.
    /// </summary>
    public static CallInvoker As(this ChannelBase channel, long clientId, params string[] scopes) =>
        channel.WithToken(For(clientId, scopes));

    /// <summary>Calls through this invoker carry an operator token (query + admin) of <paramref name="clientId"/>.</summary>
    public static CallInvoker AsAdmin(this ChannelBase channel, long clientId) => channel.WithToken(Admin(clientId));

    /// <summary>Calls through this invoker carry exactly this token (valid or forged).</summary>
    public static CallInvoker WithToken(this ChannelBase channel, string token) =>
        channel.Intercept(m =>
        {
            m.Add(CallerCredentialExtensions.AuthorizationHeader, Bearer(token));
            return m;
        });

    // ---- Forged and stale tokens (each must be refused) ----

    /// <summary>Validly signed, expired <paramref name="ago"/> ago (default 10 min, beyond the 30 s clock skew).</summary>
    public static string Expired(long clientId, TimeSpan? ago = null) =>
        CallerTokens.Mint(Key, clientId, [CallerScopes.Query], "test:expired", DateTimeOffset.UtcNow - Lifetime - (ago ?? TimeSpan.FromMinutes(10)), Lifetime);

    /// <summary>Validly signed but living longer than any caller token may (a year).</summary>
    public static string TooLong(long clientId) =>
        CallerTokens.Mint(Key, clientId, [CallerScopes.Query, CallerScopes.Admin], "test:too-long", DateTimeOffset.UtcNow, TimeSpan.FromDays(365));

    /// <summary>Well-formed, but signed with another P-256 key than the gateway's.</summary>
    public static string SignedByAnotherKey(long clientId) =>
        CallerTokens.Mint(OtherKey, clientId, [CallerScopes.Query, CallerScopes.Admin], "test:other-key", DateTimeOffset.UtcNow, Lifetime);

    /// <summary>A valid token of <paramref name="clientId"/> whose payload was rewritten to name <paramref name="otherClientId"/> and admin; the signature is the original's.</summary>
    public static string Tampered(long clientId, long otherClientId)
    {
        var parts = For(clientId).Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlDecode(parts[1]))
            .Replace($"\"client_id\":{clientId}", $"\"client_id\":{otherClientId}", StringComparison.Ordinal)
            .Replace("\"scope\":\"query\"", "\"scope\":\"query admin\"", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncode(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";
    }

    /// <summary>The same claims with <c>alg: none</c> and no signature.</summary>
    public static string Unsigned(long clientId)
    {
        var parts = Admin(clientId).Split('.');
        return $"{Base64UrlEncode("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8.ToArray())}.{parts[1]}.";
    }

    /// <summary>Algorithm confusion: HS256 with the public key's PEM as the HMAC secret.</summary>
    public static string HmacWithPublicKey(long clientId)
    {
        var parts = Admin(clientId).Split('.');
        var head = Base64UrlEncode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(PublicKeyPem), Encoding.ASCII.GetBytes($"{head}.{parts[1]}"));
        return $"{head}.{parts[1]}.{Base64UrlEncode(mac)}";
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
