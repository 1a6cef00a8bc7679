using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using StrategicAgent.Gateway.Errors;

namespace StrategicAgent.Gateway.Auth;

public static class ApiKeyDefaults
{
    public const string Scheme = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string ClientIdClaim = "client_id";
    public const string KeyPrefixClaim = "key_prefix";
    /// <summary>One claim per scope of the key (<see cref="StrategicAgent.Data.ApiKeyScopes"/>).</summary>
    public const string ScopeClaim = "scope";
    /// <summary>The policy of operator routes (train, deploy): the key needs the <c>admin</c> scope.</summary>
    public const string AdminPolicy = "admin";
}

/// <summary>
/// <c>X-Api-Key</c> → tenant. A valid key yields a principal with the <c>client_id</c> claim and one
/// <c>scope</c> claim per scope of the key; the challenge (no key, or a bad one) and the forbid answer
/// are ProblemDetails saying what to fix.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string MissingKey =
        "No API key was sent. Send your key in the X-Api-Key header (keys are issued per tenant).";

    private const string InvalidKey =
        "The API key in the X-Api-Key header is not valid: it is unknown, revoked, or its tenant is inactive.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var values = Request.Headers[ApiKeyDefaults.HeaderName];
        if (values.Count == 0 || string.IsNullOrWhiteSpace(values[0]))
        {
            return AuthenticateResult.NoResult();
        }
        // Keys are base64url: a comma means several keys folded into one header.
        if (values.Count > 1 || values[0]!.Contains(','))
        {
            return AuthenticateResult.Fail("Send exactly one X-Api-Key header.");
        }

        var key = values[0]!.Trim();
        // Real keys are short; a huge header is not worth hashing or a database round trip.
        if (key.Length > 256)
        {
            return AuthenticateResult.Fail(InvalidKey);
        }

        var resolved = await store.ResolveAsync(key, Context.RequestAborted);
        if (resolved is null)
        {
            Logger.LogInformation("Rejected API key with prefix {KeyPrefix}", Prefix(key));
            return AuthenticateResult.Fail(InvalidKey);
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ApiKeyDefaults.ClientIdClaim, resolved.ClientId.ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
                new Claim(ApiKeyDefaults.KeyPrefixClaim, Prefix(key)),
                .. resolved.Scopes.Select(s => new Claim(ApiKeyDefaults.ScopeClaim, s)),
            ],
            Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = $"{ApiKeyDefaults.Scheme} header=\"{ApiKeyDefaults.HeaderName}\"";
        await Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            result.Failure?.Message ?? MissingKey);
    }

    // A missing scope is answered by ScopeForbiddenResultHandler, which knows which one; this is the fallback.
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden",
            "Your API key is valid but is not allowed to use this endpoint.");

    // The stored key_prefix is the first 8 characters ("sa_" + 5): enough to identify a key in logs.
    private static string Prefix(string key) => key.Length <= 8 ? key : key[..8];
}

public static class TenantPrincipalExtensions
{
    /// <summary>The tenant of the caller's API key. Only ever from the key, never from a request body.</summary>
    public static long ClientId(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(ApiKeyDefaults.ClientIdClaim), System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new InvalidOperationException("The request is not authenticated with an API key.");

    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.HasClaim(ApiKeyDefaults.ScopeClaim, scope);

    public static string KeyPrefix(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyDefaults.KeyPrefixClaim) ?? "unknown";
}
