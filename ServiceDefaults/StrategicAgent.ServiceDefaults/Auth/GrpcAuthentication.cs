using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace StrategicAgent.ServiceDefaults.Auth;

/// <summary>Section <c>Auth</c> of a gRPC service: how it verifies callers.</summary>
public sealed class CallerAuthOptions
{
    /// <summary>
    /// The gateway's ECDSA P-256 public key (PEM or base64 DER). Required: a service without it
    /// cannot verify anyone and refuses to start. The AppHost passes it as <c>Auth__PublicKey</c>.
    /// </summary>
    [Required(ErrorMessage = "Auth:PublicKey is required: the gateway's ECDSA P-256 public key (PEM, or base64 DER), which every gRPC service verifies caller tokens with. The AppHost sets it; see docs/api.md, \"Calling the gRPC services\".")]
    public string? PublicKey { get; set; }

    /// <summary>How long a tenant's active flag is remembered (0 = ask the replica on every call).</summary>
    [Range(0, 300)]
    public int TenantCacheSeconds { get; set; } = 30;

    /// <summary>Tokens whose lifetime (exp − iat) is longer are refused, whoever signed them.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>The authorization policies of the gRPC services.</summary>
public static class CallerPolicies
{
    /// <summary>Train and Deploy: <c>[Authorize(Policy = CallerPolicies.Admin)]</c>.</summary>
    public const string Admin = "admin";

    /// <summary>Every call that says nothing else: a verified token of an active tenant with the query scope.</summary>
    public static AuthorizationPolicy Tenant { get; } = new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme)
        .RequireAuthenticatedUser()
        .AddRequirements(new ScopeRequirement(CallerScopes.Query))
        .Build();

    public static AuthorizationPolicy AdminPolicy { get; } = new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme)
        .RequireAuthenticatedUser()
        .AddRequirements(new ScopeRequirement(CallerScopes.Admin))
        .Build();
}

/// <summary>The caller's token must carry this scope.</summary>
public sealed class ScopeRequirement(string scope) : IAuthorizationRequirement
{
    public string Scope { get; } = scope;
}

/// <summary>Checks <see cref="ScopeRequirement"/> against the verified token's scopes.</summary>
public sealed class ScopeRequirementHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (Caller.From(context.User)?.Has(requirement.Scope) == true)
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>A token that verified but must still be refused (no tenant, lifetime too long, tenant inactive).</summary>
public sealed class CallerRefusedException(string message) : Exception(message);

public static class GrpcAuthenticationExtensions
{
    /// <summary>Tokens a little past their expiry (clock differences between hosts) still pass.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private const string HowToGetOne =
        "get one from the gateway (POST /api/v1/auth/token with your X-Api-Key; docs/api.md, \"Calling the gRPC services\")";

    /// <summary>
    /// Every gRPC call needs a bearer token the gateway signed (<see cref="CallerTokens"/>): verified
    /// with <c>Auth:PublicKey</c> (ES256 only, issuer, audience, expiry with 30 s skew, lifetime at most
    /// <c>Auth:MaxTokenLifetime</c>), naming a tenant that is still active (<see cref="ITenantDirectory"/>,
    /// checked on the replica given as <c>ConnectionStrings:replica</c>, cached <c>Auth:TenantCacheSeconds</c>).
    /// <para>
    /// Authenticated is the default: the fallback policy (a tenant token with the <c>query</c> scope)
    /// covers every endpoint that says nothing, so a new RPC is protected without a line of code;
    /// <c>MapGrpcDefaults</c> and <c>MapDefaultEndpoints</c> open only reflection and health.
    /// Operator RPCs add <c>[Authorize(Policy = CallerPolicies.Admin)]</c>. Refusals are gRPC
    /// statuses with a message: Unauthenticated (no, bad, expired token; inactive tenant),
    /// PermissionDenied (missing scope), Unavailable (the tenant check could not run).
    /// </para>
    /// </summary>
    public static TBuilder AddGrpcAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var services = builder.Services;
        services.AddOptions<CallerAuthOptions>()
            .BindConfiguration(CallerTokens.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.PublicKey is null || CanLoad(o.PublicKey),
                "Auth:PublicKey is not an ECDSA P-256 public key (PEM '-----BEGIN PUBLIC KEY-----', or the base64 of its SubjectPublicKeyInfo DER).")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        if (builder.Configuration.GetConnectionString("replica") is { Length: > 0 } replica)
        {
            services.TryAddSingleton<ITenantDirectory>(sp => new ReplicaTenantDirectory(replica,
                sp.GetRequiredService<IOptions<CallerAuthOptions>>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ReplicaTenantDirectory>>()));
        }

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<CallerAuthOptions>>((o, auth) =>
            {
                // Claim names stay as minted (client_id, scope, sub).
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = CallerTokens.Issuer,
                    ValidAudience = CallerTokens.Audience,
                    // Only ES256: alg=none, HS256 with the public key as secret and every other algorithm fail.
                    ValidAlgorithms = [CallerTokens.Algorithm],
                    IssuerSigningKey = auth.Value.PublicKey is { } pem
                        ? new ECDsaSecurityKey(CallerTokens.LoadKey(pem, requirePrivate: false, "Auth:PublicKey"))
                        : null,
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ValidateLifetime = true,
                    ClockSkew = ClockSkew,
                    NameClaimType = CallerTokens.SubjectClaim,
                };
                o.Events = new JwtBearerEvents
                {
                    OnTokenValidated = ctx => CheckCallerAsync(ctx, auth.Value),
                    OnChallenge = async ctx =>
                    {
                        ctx.HandleResponse();
                        var (code, message) = Describe(ctx.AuthenticateFailure, ctx.Request.Headers.Authorization.Count > 0);
                        ctx.Response.Headers.WWWAuthenticate = ctx.AuthenticateFailure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
                        await GrpcStatusResponse.WriteAsync(ctx.HttpContext, code, message);
                    },
                };
            });

        services.AddSingleton<IAuthorizationHandler, ScopeRequirementHandler>();
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(CallerPolicies.Tenant)
            .SetFallbackPolicy(CallerPolicies.Tenant)
            .AddPolicy(CallerPolicies.Admin, CallerPolicies.AdminPolicy);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, GrpcAuthorizationResultHandler>();
        return builder;
    }

    /// <summary>The verified caller of a gRPC call: its tenant and scopes. Never from a request field.</summary>
    public static Caller GetCaller(this ServerCallContext context) =>
        Caller.From(context.GetHttpContext().User)
        ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "This call carries no verified caller token; " + HowToGetOne + "."));

    private static bool CanLoad(string key)
    {
        try
        {
            using var _ = CallerTokens.LoadKey(key, requirePrivate: false, "Auth:PublicKey");
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static async Task CheckCallerAsync(TokenValidatedContext ctx, CallerAuthOptions options)
    {
        if (Caller.From(ctx.Principal) is not { } caller)
        {
            ctx.Fail(new CallerRefusedException("The bearer token names no tenant (claim client_id)."));
            return;
        }
        if (ctx.SecurityToken is JsonWebToken jwt
            && (jwt.IssuedAt == DateTime.MinValue || jwt.ValidTo - jwt.IssuedAt > options.MaxTokenLifetime))
        {
            ctx.Fail(new CallerRefusedException(string.Create(CultureInfo.InvariantCulture,
                $"The bearer token lives longer than the {options.MaxTokenLifetime.TotalMinutes:0} minutes a caller token may (or has no issue time).")));
            return;
        }
        if (ctx.HttpContext.RequestServices.GetService<ITenantDirectory>() is not { } tenants)
        {
            return;
        }
        try
        {
            if (!await tenants.IsActiveAsync(caller.ClientId, ctx.HttpContext.RequestAborted))
            {
                ctx.Fail(new CallerRefusedException(string.Create(CultureInfo.InvariantCulture,
                    $"Tenant {caller.ClientId} is not active: its tokens are refused (an operator deactivated it, or it does not exist).")));
            }
        }
        catch (TenantDirectoryUnavailableException e)
        {
            ctx.Fail(e);
        }
    }

    /// <summary>What to tell a caller whose token was refused, without .NET's IDX texts.</summary>
    private static (StatusCode Code, string Message) Describe(Exception? failure, bool sentSomething) => failure switch
    {
        null => (StatusCode.Unauthenticated, sentSomething
            ? "The authorization header is not a bearer token: send 'authorization: Bearer <token>'; " + HowToGetOne + "."
            : "No caller credential: send 'authorization: Bearer <token>'; " + HowToGetOne + "."),
        TenantDirectoryUnavailableException e => (StatusCode.Unavailable, e.Message + " Retry shortly."),
        CallerRefusedException e => (StatusCode.Unauthenticated, e.Message),
        SecurityTokenExpiredException e => (StatusCode.Unauthenticated, string.Create(CultureInfo.InvariantCulture,
            $"The bearer token expired at {e.Expires:yyyy-MM-ddTHH:mm:ssZ}; {HowToGetOne}.")),
        SecurityTokenNotYetValidException => (StatusCode.Unauthenticated, "The bearer token is not valid yet (its nbf is in the future): check the clock of the host that minted it."),
        SecurityTokenNoExpirationException => (StatusCode.Unauthenticated, "The bearer token has no expiry (exp); caller tokens are short-lived: " + HowToGetOne + "."),
        SecurityTokenInvalidAlgorithmException => (StatusCode.Unauthenticated, "The bearer token is not signed with ES256, the only algorithm accepted: " + HowToGetOne + "."),
        SecurityTokenInvalidIssuerException or SecurityTokenInvalidAudienceException =>
            (StatusCode.Unauthenticated, "The bearer token was not issued by this system's gateway for its services: " + HowToGetOne + "."),
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
            (StatusCode.Unauthenticated, "The bearer token's signature does not verify: it was altered, unsigned, or signed with another key than this system's gateway's. " + HowToGetOne + "."),
        SecurityTokenMalformedException or ArgumentException =>
            (StatusCode.Unauthenticated, "The bearer token is not a well-formed JWT: send the token the gateway issued, unchanged."),
        _ => (StatusCode.Unauthenticated, "The bearer token is not valid: " + HowToGetOne + "."),
    };

    /// <summary>A missing scope is PermissionDenied naming the scope; a challenge goes to the bearer handler.</summary>
    private sealed class GrpcAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (!authorizeResult.Forbidden)
            {
                return _default.HandleAsync(next, context, policy, authorizeResult);
            }
            var missing = (authorizeResult.AuthorizationFailure?.FailedRequirements ?? [])
                .OfType<ScopeRequirement>().Select(r => r.Scope).Distinct(StringComparer.Ordinal).ToList();
            var held = Caller.From(context.User)?.Scopes ?? [];
            var message = $"{context.Request.Path.Value} needs the scope(s) {string.Join(", ", missing.Select(s => "'" + s + "'"))}; " +
                          $"this token has {(held.Count == 0 ? "none" : string.Join(", ", held.Select(s => "'" + s + "'")))}.";
            if (missing.Contains(CallerScopes.Admin))
            {
                message += " Training and deploying models change what every tenant is served, so they need a token minted from an admin API key " +
                           "('./run.sh create-api-key --client <id> --admin', then POST /api/v1/auth/token).";
            }
            return GrpcStatusResponse.WriteAsync(context, StatusCode.PermissionDenied, message);
        }
    }
}

/// <summary>
/// Answers a request with a gRPC status before any service code runs: a trailers-only response
/// (HTTP 200, <c>grpc-status</c> and <c>grpc-message</c> in the headers) for gRPC requests, the
/// matching HTTP status with the message as text for anything else.
/// </summary>
public static class GrpcStatusResponse
{
    public static Task WriteAsync(HttpContext context, StatusCode code, string message)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }
        context.Response.StatusCode = code switch
        {
            StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
            StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
            _ => StatusCodes.Status500InternalServerError,
        };
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message);
    }
}
