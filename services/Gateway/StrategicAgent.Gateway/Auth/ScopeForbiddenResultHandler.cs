using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using StrategicAgent.Data;
using StrategicAgent.Gateway.Errors;

namespace StrategicAgent.Gateway.Auth;

/// <summary>
/// A valid key without the scope a route needs gets a 403 ProblemDetails that names the missing
/// scope and how to get a key with it (not the generic "not allowed"); everything else (401, other
/// 403s, success) goes to the default handler.
/// </summary>
public sealed class ScopeForbiddenResultHandler(ILogger<ScopeForbiddenResultHandler> logger) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && MissingScopes(authorizeResult, context) is { Count: > 0 } missing)
        {
            var scopes = string.Join(", ", missing.Select(s => "'" + s + "'"));
            logger.LogInformation("API key {KeyPrefix} of tenant {ClientId} lacks scope(s) {Scopes} for {Method} {Path}",
                context.User.KeyPrefix(), context.User.FindFirst(ApiKeyDefaults.ClientIdClaim)?.Value, scopes, context.Request.Method, context.Request.Path.Value);
            var detail = missing.Contains(ApiKeyScopes.Admin)
                ? $"Your API key lacks the '{ApiKeyScopes.Admin}' scope. Training and deploying models change the models every tenant is served " +
                  "by, so they are operator actions: use an admin key (an operator creates one with './run.sh create-api-key --client <id> --admin', see docs/api.md)."
                : $"Your API key lacks the scope(s) {scopes} that this endpoint needs.";
            await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", detail,
                new Dictionary<string, object?> { ["missing_scopes"] = missing });
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    private static List<string> MissingScopes(PolicyAuthorizationResult result, HttpContext context) =>
        (result.AuthorizationFailure?.FailedRequirements ?? [])
            .OfType<ClaimsAuthorizationRequirement>()
            .Where(r => r.ClaimType == ApiKeyDefaults.ScopeClaim && r.AllowedValues is not null)
            .SelectMany(r => r.AllowedValues!)
            .Where(s => !context.User.HasScope(s))
            .Distinct(StringComparer.Ordinal)
            .ToList();
}
