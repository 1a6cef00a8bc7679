using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using StrategicAgent.Gateway.Auth;

namespace StrategicAgent.Gateway.Apis;

/// <summary>/api/v1/auth → caller tokens for platform services that call the gRPC services themselves.</summary>
public static class AuthApi
{
    public static RouteGroupBuilder MapAuthApi(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/token", Token)
            .WithName("IssueToken")
            .WithSummary("Exchange the API key for a short-lived token for the gRPC services")
            .WithDescription("A platform service that calls the agent, validation, prediction or ml-training gRPC services directly " +
                             "sends this token as 'authorization: Bearer <access_token>'. It carries the key's tenant and scopes and " +
                             "expires after expires_in seconds: fetch a new one before then.");
        return api;
    }

    public static Ok<TokenResult> Token(ClaimsPrincipal user, CallerTokenIssuer issuer)
    {
        var token = issuer.Fresh(user);
        return TypedResults.Ok(new TokenResult(token.AccessToken, "Bearer", (int)issuer.Lifetime.TotalSeconds, token.ExpiresAt,
            token.ClientId, token.Scopes));
    }
}

/// <param name="AccessToken">The compact JWT (ES256) to send as <c>authorization: Bearer ...</c>.</param>
/// <param name="ExpiresIn">Seconds until it expires.</param>
public sealed record TokenResult(string AccessToken, string TokenType, int ExpiresIn, DateTimeOffset ExpiresAt, long ClientId, IReadOnlyList<string> Scopes);
