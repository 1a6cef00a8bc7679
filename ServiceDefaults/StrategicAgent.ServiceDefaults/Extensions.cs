using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using StrategicAgent.ServiceDefaults.Auth;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every StrategicAgent host shares: telemetry, health, service discovery, resilience,
/// and the gRPC/HTTP endpoint layout (gRPC needs an HTTP/2-only endpoint over plain HTTP).
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Npgsql")
                .AddMeter("MassTransit")
                .AddMeter("StrategicAgent.*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("MassTransit")
                .AddSource("StrategicAgent.*")
                .AddAspNetCoreInstrumentation(o =>
                    // Health probes would drown the traces that matter.
                    o.Filter = ctx => !ctx.Request.Path.StartsWithSegments(HealthEndpointPath)
                                      && !ctx.Request.Path.StartsWithSegments(HealthExtensions.ReadinessEndpointPath)
                                      && !ctx.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsql());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthTags.Live]);
        return builder;
    }

    /// <summary>
    /// gRPC hosts: the gRPC health service (backed by the ASP.NET Core health checks) and reflection,
    /// so <c>grpcurl</c> and Kubernetes gRPC probes work, and caller authentication on everything else.
    /// Its overall status ("" service) is the readiness (<c>/ready</c>): SERVING means this service can
    /// serve, whatever its own downstreams do.
    /// </summary>
    public static TBuilder AddGrpcDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = builder.Environment.IsDevelopment();
            // Marks the calls whose request was read (see GrpcStatusGuard).
            o.Interceptors.Add<GrpcStatusGuard.HandlerStartedInterceptor>();
        });
        builder.Services.AddGrpcHealthChecks(o => o.Services.Map("", r => r.Tags.Contains(HealthTags.Live) || r.Tags.Contains(HealthTags.Ready)));
        builder.Services.AddGrpcReflection();
        // Every call needs the caller's token (tenant + scopes), except health and reflection.
        builder.AddGrpcAuthentication();
        return builder;
    }

    /// <summary>
    /// Listens on an HTTP/2-only port for gRPC (<c>Endpoints:GrpcPort</c>) and an HTTP/1 port for
    /// health and REST (<c>Endpoints:HttpPort</c>) when they are configured; otherwise Kestrel's own
    /// configuration (ASPNETCORE_URLS, Kestrel:Endpoints) applies.
    /// </summary>
    public static WebApplicationBuilder UseServiceEndpoints(this WebApplicationBuilder builder)
    {
        var grpcPort = builder.Configuration.GetValue<int?>("Endpoints:GrpcPort");
        var httpPort = builder.Configuration.GetValue<int?>("Endpoints:HttpPort");
        var bindAny = builder.Configuration.GetValue("Endpoints:BindAnyAddress", false);
        if (grpcPort is null && httpPort is null)
        {
            return builder;
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (grpcPort is { } g)
            {
                Listen(kestrel, g, bindAny, HttpProtocols.Http2);
            }
            if (httpPort is { } h)
            {
                Listen(kestrel, h, bindAny, HttpProtocols.Http1);
            }
        });
        return builder;

        static void Listen(KestrelServerOptions kestrel, int port, bool any, HttpProtocols protocols)
        {
            if (any)
            {
                kestrel.ListenAnyIP(port, l => l.Protocols = protocols);
            }
            else
            {
                kestrel.ListenLocalhost(port, l => l.Protocols = protocols);
            }
        }
    }

    /// <summary>
    /// In every environment: <c>/alive</c> (liveness: the process runs), <c>/ready</c> (readiness: it can
    /// serve — liveness plus the checks tagged <see cref="HealthTags.Ready"/>) and <c>/health</c> (every
    /// check, downstream services included: 503 while anything it talks to is down). <c>/ready</c> and
    /// <c>/health</c> answer JSON with each check's status and description (never an exception's text).
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Open: probes carry no credential (gRPC services otherwise require one for every endpoint).
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthExtensions.WriteReportAsync }).AllowAnonymous();
        app.MapHealthChecks(HealthExtensions.ReadinessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(HealthTags.Live) || r.Tags.Contains(HealthTags.Ready),
            ResponseWriter = HealthExtensions.WriteReportAsync,
        }).AllowAnonymous();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(HealthTags.Live),
        }).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Adds <see cref="GrpcStatusGuard"/> and maps the gRPC health service and reflection next to a host's own gRPC services: the only two
    /// open to callers without a token (probes, <c>grpcurl list/describe</c>); everything else needs one
    /// (<see cref="StrategicAgent.ServiceDefaults.Auth.GrpcAuthenticationExtensions.AddGrpcAuthentication"/>).
    /// </summary>
    public static WebApplication MapGrpcDefaults(this WebApplication app)
    {
        // A request that is not protobuf is InvalidArgument, not Unknown; no status detail outgrows a header.
        app.UseGrpcStatusGuard();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapGrpcReflectionService().AllowAnonymous();
        return app;
    }
}
