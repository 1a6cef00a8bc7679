using System.Globalization;
using System.Security.Claims;

namespace StrategicAgent.Web.Auth;

/// <summary>
/// What the sign-in cookie holds. The cookie is encrypted and signed by ASP.NET Core Data Protection
/// and HttpOnly: the browser keeps an opaque ticket, only this server can read the API key in it,
/// and no script in the page can reach it.
/// </summary>
public static class WebClaims
{
    public const string Scheme = "sa-web";
    public const string CookieName = "sa_session";
    public const string ApiKey = "sa:key";
    public const string ClientId = "sa:client";
    public const string Scope = "sa:scope";
    public const string KeyPrefix = "sa:prefix";
    public const string OperatorPolicy = "operator";
    public const string AdminScope = "admin";

    public static ClaimsPrincipal Principal(string apiKey, long clientId, IEnumerable<string> scopes, string keyPrefix)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, $"Tenant {clientId.ToString(CultureInfo.InvariantCulture)} · key {keyPrefix}…"),
            new(ApiKey, apiKey),
            new(ClientId, clientId.ToString(CultureInfo.InvariantCulture)),
            new(KeyPrefix, keyPrefix),
        };
        claims.AddRange(scopes.Select(s => new Claim(Scope, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
    }

    public static string? Key(this ClaimsPrincipal user) => user.FindFirstValue(ApiKey);

    public static bool IsOperator(this ClaimsPrincipal user) => user.HasClaim(Scope, AdminScope);
}
