using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace StrategicAgent.ServiceDefaults.Auth;

/// <summary>
/// The credential every gRPC call carries (docs/CONVENTIONS.md, "Who the caller is"): a compact JWT
/// signed with ES256 (ECDSA P-256) by the gateway, the only holder of the private key. Services hold
/// the public key only, so they can verify a token but never mint one.
/// </summary>
public static class CallerTokens
{
    public const string Issuer = "strategicagent-gateway";
    public const string Audience = "strategicagent-services";
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    /// <summary>The tenant (<c>clients.id</c>), a JSON number.</summary>
    public const string ClientIdClaim = "client_id";

    /// <summary>The scopes, space-separated as in OAuth 2.0 (RFC 8693 §4.2): <c>"query admin"</c>.</summary>
    public const string ScopeClaim = "scope";

    /// <summary>Who the token speaks for, e.g. <c>api-key:sa_abc12</c> (the key's prefix, never the key).</summary>
    public const string SubjectClaim = JwtRegisteredClaimNames.Sub;

    /// <summary>Where a service finds its keys: <c>Auth:PublicKey</c>, and the gateway's <c>Auth:SigningKey</c>.</summary>
    public const string Section = "Auth";

    // IdentityModel caches signature providers by the key's public parameters, process-wide: a
    // provider cached for a disposed ECDsa (a stopped gateway) would be reused by the next one with the
    // same key. Minting is rare (tokens are reused), so no cache.
    private static readonly CryptoProviderFactory Uncached = new() { CacheSignatureProviders = false };

    /// <summary>
    /// Mints a token. <paramref name="now"/> is the issue time (tests pass a time in the past to make an
    /// expired token); <paramref name="lifetime"/> how long it is valid.
    /// </summary>
    public static string Mint(ECDsa signingKey, long clientId, IEnumerable<string> scopes, string subject, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        if (clientId <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(clientId), clientId, "A tenant id is positive.");
        }
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "A token's lifetime is positive.");
        }
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [SubjectClaim] = subject,
                [ClientIdClaim] = clientId,
                [ScopeClaim] = string.Join(' ', scopes.Distinct(StringComparer.Ordinal)),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(signingKey), Algorithm) { CryptoProviderFactory = Uncached },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>
    /// An ECDSA P-256 key from configuration: PEM (<c>-----BEGIN PRIVATE KEY-----</c> / <c>PUBLIC KEY</c>,
    /// or <c>EC PRIVATE KEY</c>) or the base64 of the DER bytes (PKCS#8 private key or SubjectPublicKeyInfo),
    /// which fits in one environment variable line.
    /// </summary>
    /// <exception cref="FormatException">The text is neither, or not a P-256 key.</exception>
    public static ECDsa LoadKey(string text, bool requirePrivate, string settingName)
    {
        var key = ECDsa.Create();
        try
        {
            text = text.Trim();
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                key.ImportFromPem(text);
            }
            else
            {
                var der = Convert.FromBase64String(text);
                if (requirePrivate)
                {
                    key.ImportPkcs8PrivateKey(der, out _);
                }
                else
                {
                    key.ImportSubjectPublicKeyInfo(der, out _);
                }
            }
            if (key.KeySize != 256)
            {
                throw new FormatException($"{settingName} is a {key.KeySize}-bit EC key; use a P-256 key (ES256).");
            }
            if (requirePrivate)
            {
                // Throws when only the public part was given.
                key.ExportParameters(includePrivateParameters: true);
            }
            return key;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            key.Dispose();
            throw new FormatException(
                $"{settingName} is not a valid ECDSA P-256 {(requirePrivate ? "private" : "public")} key " +
                "(PEM, or the base64 of its DER: PKCS#8 for a private key, SubjectPublicKeyInfo for a public key).", e);
        }
    }

    /// <summary>A new key pair: (private key as PKCS#8 PEM, public key as SubjectPublicKeyInfo PEM).</summary>
    public static (string PrivateKeyPem, string PublicKeyPem) GenerateKeyPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (key.ExportPkcs8PrivateKeyPem(), key.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>The public half of a private key given as <see cref="LoadKey"/> reads it, as PEM.</summary>
    public static string PublicKeyPemOf(string privateKey, string settingName)
    {
        using var key = LoadKey(privateKey, requirePrivate: true, settingName);
        return key.ExportSubjectPublicKeyInfoPem();
    }
}

/// <summary>The scopes a caller can hold: the same names as <c>api_keys.scopes</c> (StrategicAgent.Data.ApiKeyScopes).</summary>
public static class CallerScopes
{
    /// <summary>Every tenant call: ask, validate, predict, alerts, read the registry.</summary>
    public const string Query = "query";

    /// <summary>Operator calls: <c>Train</c> and <c>Deploy</c> of ml-training (models serve every tenant).</summary>
    public const string Admin = "admin";
}

/// <summary>Who is calling, from a verified token only.</summary>
/// <param name="ClientId">The tenant every read and write of the call is scoped to.</param>
/// <param name="Scopes">What the caller may do (<see cref="CallerScopes"/>).</param>
/// <param name="Subject">Who the token was minted for (an API key's prefix), for logs.</param>
public sealed record Caller(long ClientId, IReadOnlyList<string> Scopes, string Subject)
{
    public bool Has(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);

    /// <summary>The caller of a principal the bearer handler verified, or null when it carries no valid tenant.</summary>
    public static Caller? From(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true
            || !long.TryParse(user.FindFirst(CallerTokens.ClientIdClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var clientId)
            || clientId <= 0)
        {
            return null;
        }
        var scopes = user.FindAll(CallerTokens.ScopeClaim)
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        return new Caller(clientId, scopes, user.FindFirst(CallerTokens.SubjectClaim)?.Value ?? "unknown");
    }
}
