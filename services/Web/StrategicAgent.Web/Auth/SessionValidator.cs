using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;
using StrategicAgent.Web.Extensions;
using StrategicAgent.Web.Gateway;

namespace StrategicAgent.Web.Auth;

/// <summary>
/// Checks a signed-in key with the gateway again (GET /api/v1/me). A key the gateway no longer
/// accepts (revoked, its tenant deactivated: 401; or without the query scope: 403) ends the session;
/// a gateway that cannot be reached does not (the page shows that failure instead).
/// </summary>
public sealed partial class SessionValidator(IServiceScopeFactory scopes, ILogger<SessionValidator> logger)
{
    public const string ExpiredItem = "sa:session-expired";
    private const string CheckedAt = "sa:checked-at";

    /// <summary>The key's current identity, null when the gateway refuses the key, or the old principal when it cannot tell.</summary>
    public async Task<ClaimsPrincipal?> RevalidateAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var key = user.Key();
        if (key is null)
        {
            return null;
        }
        await using var scope = scopes.CreateAsyncScope();
        var gateway = scope.ServiceProvider.GetRequiredService<GatewayClient>();
        try
        {
            var me = await gateway.MeAsync(key, ct);
            return WebClaims.Principal(key, me.ClientId, me.Scopes, me.KeyPrefix);
        }
        catch (GatewayException ex) when (ex.Problem.Status is 401 or 403)
        {
            LogKeyRefused(logger, user.FindFirstValue(WebClaims.KeyPrefix), ex.Problem.Status);
            return null;
        }
        catch (GatewayException ex)
        {
            LogCheckFailed(logger, ex.Problem.Status, ex.Problem.Detail);
            return user;
        }
    }

    /// <summary>Cookie events: re-check the key every <see cref="WebOptions.RevalidateSeconds"/> on page loads.</summary>
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<WebOptions>>().Value;
        var now = DateTimeOffset.UtcNow;
        if (context.Properties.Items.TryGetValue(CheckedAt, out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var checkedAt)
            && now - checkedAt < TimeSpan.FromSeconds(options.RevalidateSeconds))
        {
            return;
        }
        var validator = context.HttpContext.RequestServices.GetRequiredService<SessionValidator>();
        var current = await validator.RevalidateAsync(context.Principal!, context.HttpContext.RequestAborted);
        if (current is null)
        {
            context.RejectPrincipal();
            context.HttpContext.Items[ExpiredItem] = true;
            await context.HttpContext.SignOutAsync(WebClaims.Scheme);
            return;
        }
        context.Properties.Items[CheckedAt] = now.ToString("O", CultureInfo.InvariantCulture);
        context.ReplacePrincipal(current);
        context.ShouldRenew = true;
    }

    [LoggerMessage(LogLevel.Information, "The gateway refused the signed-in key {KeyPrefix} ({Status}); the session ends")]
    private static partial void LogKeyRefused(ILogger logger, string? keyPrefix, int status);

    [LoggerMessage(LogLevel.Warning, "Could not re-check a signed-in key with the gateway ({Status}: {Detail}); the session goes on")]
    private static partial void LogCheckFailed(ILogger logger, int status, string detail);
}

/// <summary>
/// Open pages (a Blazor circuit lives as long as the tab) re-check their key too: when the gateway
/// refuses it, the page's user becomes anonymous and the router sends it to the sign-in page.
/// </summary>
public sealed class RevalidatingKeyStateProvider(ILoggerFactory loggers, SessionValidator validator, IOptions<WebOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(options.Value.RevalidateSeconds);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct) =>
        await validator.RevalidateAsync(state.User, ct) is not null;
}
