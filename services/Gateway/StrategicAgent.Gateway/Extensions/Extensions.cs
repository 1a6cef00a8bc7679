using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;
using StrategicAgent.Data;
using StrategicAgent.Gateway.Apis;
using StrategicAgent.Gateway.Auth;
using StrategicAgent.Gateway.Errors;
using StrategicAgent.Gateway.OpenApi;
using StrategicAgent.Gateway.Pins;
using StrategicAgent.Protos.Agent.V1;
using StrategicAgent.Protos.Prediction.V1;
using StrategicAgent.Protos.Training.V1;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.ServiceDefaults.Auth;

namespace StrategicAgent.Gateway.Extensions;

public static class Extensions
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<DownstreamOptions>().BindConfiguration(DownstreamOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GatewayAuthOptions>().BindConfiguration(CallerTokens.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.SigningKey is null || CanLoadSigningKey(o.SigningKey),
                "Auth:SigningKey is not an ECDSA P-256 private key (PEM '-----BEGIN PRIVATE KEY-----', or the base64 of its PKCS#8 DER).")
            .ValidateOnStart();

        // Requests are small JSON documents (a question, some SQL, a list of keys).
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);

        // API keys and pins live on the primary (keyed "primary"); /ready needs it: without it no request is authenticated.
        builder.AddPrimaryDataSource("the gateway looks API keys up on the primary.", applicationName: "gateway");
        services.AddSingleton<ApiKeyStore>();
        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyDefaults.Scheme, null);
        // Every /api/v1 route needs a key with the query scope; train and deploy also need admin.
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(ApiKeyDefaults.Scheme)
                .RequireAuthenticatedUser()
                .RequireClaim(ApiKeyDefaults.ClientIdClaim)
                .RequireClaim(ApiKeyDefaults.ScopeClaim, ApiKeyScopes.Query)
                .Build())
            .AddPolicy(ApiKeyDefaults.AdminPolicy, p => p
                .AddAuthenticationSchemes(ApiKeyDefaults.Scheme)
                .RequireAuthenticatedUser()
                .RequireClaim(ApiKeyDefaults.ClientIdClaim)
                .RequireClaim(ApiKeyDefaults.ScopeClaim, ApiKeyScopes.Admin));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ScopeForbiddenResultHandler>();

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.AllowTrailingCommas = false;
        });
        // Malformed bodies throw BadHttpRequestException in every environment, so the exception
        // handler can answer a ProblemDetails that says where the JSON broke (not an empty 400).
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            Problems.AddTraceId(ctx.ProblemDetails, ctx.HttpContext);
            // Every 503/429 says when to come back, in the header and the body (the pin store's 503 among them).
            RetryHint.Apply(ctx.ProblemDetails, ctx.HttpContext);
        });
        services.AddExceptionHandler<GatewayExceptionHandler>();

        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer<ApiKeySecurityTransformer>();
            o.AddOperationTransformer<ApiKeySecurityTransformer>();
        });

        services.AddSingleton<PinStore>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CallerTokenIssuer>();
        services.AddHttpContextAccessor();
        // Service discovery (services:<name>:grpc:0), no HTTP resilience handler (see
        // AddGrpcServiceClient); every call below also sets its own deadline from DownstreamOptions.
        builder.AddDownstream<ValidationService.ValidationServiceClient>(DownstreamService.Validation.Name);
        builder.AddDownstream<AgentService.AgentServiceClient>(DownstreamService.Agent.Name);
        builder.AddDownstream<TrainingService.TrainingServiceClient>(DownstreamService.Training.Name);
        builder.AddDownstream<PredictionService.PredictionServiceClient>(DownstreamService.Prediction.Name);

        // /health also names each downstream service that cannot serve (docs/reliability.md, "Health").
        foreach (var downstream in new[] { DownstreamService.Agent, DownstreamService.Validation, DownstreamService.Training, DownstreamService.Prediction })
        {
            builder.AddDownstreamHealthCheck(downstream.Name);
        }
        return builder;
    }

    /// <summary>
    /// A downstream gRPC client whose every call carries a caller token minted from the request's
    /// API key (tenant, scopes): the services take the tenant from it, never from a request field.
    /// </summary>
    private static void AddDownstream<TClient>(this WebApplicationBuilder builder, string name) where TClient : class =>
        builder.AddGrpcServiceClient<TClient>(name).AddCallerCredential(sp =>
        {
            var http = sp.GetRequiredService<IHttpContextAccessor>();
            var issuer = sp.GetRequiredService<CallerTokenIssuer>();
            return () => http.HttpContext?.User is { Identity.IsAuthenticated: true } user
                ? "Bearer " + issuer.For(user).AccessToken
                : null;
        });

    private static bool CanLoadSigningKey(string key)
    {
        try
        {
            using var _ = CallerTokens.LoadKey(key, requirePrivate: true, "Auth:SigningKey");
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        // First, so that every 503/429 (the health report's too) carries Retry-After.
        app.UseRetryAfterOnUnavailable();
        app.UseExceptionHandler();
        // Unknown routes (and any other empty error response) become ProblemDetails too.
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapDefaultEndpoints();
        app.MapOpenApi();
        app.MapScalarApiReference("/scalar", o => o
            .WithTitle("StrategicAgent API")
            .AddPreferredSecuritySchemes(ApiKeyDefaults.Scheme)
            .AddApiKeyAuthentication(ApiKeyDefaults.Scheme, k => k.Value = ""));
        app.MapGet("/docs", () => TypedResults.Redirect("/scalar")).ExcludeFromDescription();

        // Every route calls a downstream service, whose failures map to these (docs/api.md).
        var api = app.MapGroup("/api/v1").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        api.MapAuthApi();
        api.MapSqlApi();
        api.MapAgentApi();
        api.MapModelsApi();
        api.MapPredictionsApi();
        api.MapPinsApi();
        api.MapSessionApi();
        return app;
    }
}
