using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using StrategicAgent.Gateway.Auth;

namespace StrategicAgent.Gateway.Apis;

/// <summary>
/// /api/v1/me: who the API key speaks for. The web UI signs in with it (a 401 means the key is not
/// valid) and shows operator pages only when the key has the admin scope.
/// </summary>
public static class SessionApi
{
    public static RouteGroupBuilder MapSessionApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", Me)
            .WithTags("Session")
            .WithName("WhoAmI")
            .WithSummary("The key's tenant, scopes and prefix");
        return api;
    }

    public static Ok<MeDto> Me(ClaimsPrincipal user) => TypedResults.Ok(new MeDto(
        user.ClientId(),
        user.FindAll(ApiKeyDefaults.ScopeClaim).Select(c => c.Value).Order(StringComparer.Ordinal).ToList(),
        user.KeyPrefix()));
}

/// <param name="Scopes">query, and admin for an operator key.</param>
/// <param name="KeyPrefix">The key's first 8 characters (never the key).</param>
public sealed record MeDto(long ClientId, IReadOnlyList<string> Scopes, string KeyPrefix);
