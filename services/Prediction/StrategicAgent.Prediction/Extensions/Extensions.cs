using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using StrategicAgent.Prediction.Consumers;
using StrategicAgent.Prediction.Data;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Prediction.Grpc;
using StrategicAgent.Prediction.Infrastructure;

namespace StrategicAgent.Prediction.Extensions;

public static class Extensions
{
    /// <summary>The prediction service's own: its other data sources (log writer, sa_reader, primary), models, serving, log writer (after <see cref="BuildPredictionApp"/>'s replica and messaging).</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PredictionOptions>().BindConfiguration(PredictionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PredictionLogOptions>().BindConfiguration(PredictionLogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AnomalyOptions>().BindConfiguration(AnomalyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ModelHealthOptions>().BindConfiguration(ModelHealthOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        var replica = builder.Configuration.GetConnectionString(ReplicaDataSourceExtensions.ConnectionName)!;
        // The log writer gets its own pool (optionally its own connection string), so a burst of
        // log writes never competes with feature reads for connections.
        services.AddKeyedSingleton(PredictionLogWriter.DataSourceKey, (_, _) =>
            NpgsqlDataSource.Create(builder.Configuration.GetConnectionString(PredictionLogWriter.DataSourceKey) ?? replica));
        if (builder.Configuration.GetConnectionString(HealthData.PrimaryKey) is { Length: > 0 } primary)
        {
            services.AddKeyedSingleton(HealthData.PrimaryKey, (_, _) => NpgsqlDataSource.Create(primary));
        }

        if (builder.Configuration.GetValue($"{PredictionOptions.Section}:{nameof(PredictionOptions.InlineSocketScheduling)}", false))
        {
            services.Configure<SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = true);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddMemoryCache(o => o.SizeLimit = Math.Max(1, builder.Configuration.GetValue($"{PredictionOptions.Section}:FeatureCacheSize", 100_000)));
        services.AddSingleton(sp => new TenantSnapshots<IReadOnlyDictionary<string, object>>(sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IMeterFactory>()?.Create(PredictionLogQueue.MeterName)));
        services.AddSingleton<DeployedModels<LoadedModel>>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<IModelLoadErrors>(sp => sp.GetRequiredService<ModelLoader>());
        services.AddHostedService<ModelRefresher>();

        // Feature reads run only in tenant sessions: with ConnectionStrings:replica-reader they log
        // in as sa_reader, which can do nothing but become sa_query (docs/CONVENTIONS.md, "Data").
        // The registry, the prediction log and alerts keep ConnectionStrings:replica (they write ml.*).
        if (builder.Configuration.GetConnectionString("replica-reader") is { Length: > 0 } reader)
        {
            services.AddKeyedSingleton("replica-reader", (_, _) => NpgsqlDataSource.Create(reader));
            services.AddSingleton<IFeatureStore>(sp => ActivatorUtilities.CreateInstance<FeatureStore>(sp, sp.GetRequiredKeyedService<NpgsqlDataSource>("replica-reader")));
        }
        else
        {
            services.AddSingleton<IFeatureStore, FeatureStore>();
        }
        services.AddSingleton<LatencyTracker>();
        services.AddSingleton<ReworkRankings>();
        services.AddSingleton<PredictionServing>();
        var logConnection = builder.Configuration.GetConnectionString(PredictionLogWriter.DataSourceKey) ?? replica;
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<PredictionLogOptions>>().Value;
            return new PredictionLogSpool(o.SpoolDirectory is { Length: > 0 } dir ? dir : PredictionLogSpool.DefaultDirectory(logConnection), o.SegmentBytes);
        });
        services.AddSingleton<ForecastGate>();
        services.AddSingleton<EpicForecasts>();
        services.AddSingleton(sp => new PredictionLogQueue(
            sp.GetRequiredService<PredictionLogSpool>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<PredictionLogOptions>>().Value.Capacity,
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<IPredictionScorer, AnomalyScorer>();
        services.AddSingleton<IAlertPublisher, AlertPublisher>();
        services.AddSingleton<AlertStore>();
        services.AddHostedService<PredictionLogWriter>();

        services.AddSingleton<IHealthData>(sp => new HealthData(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetKeyedService<NpgsqlDataSource>(HealthData.PrimaryKey)));
        services.AddSingleton<ModelHealthService>();
        // Ready once the registry has been read: before that a request could not tell "not deployed" from "still loading".
        services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration("models",
            sp => new ModelsLoadedCheck(sp.GetRequiredService<DeployedModels<LoadedModel>>()), failureStatus: null, tags: [HealthTags.Ready]));

        return builder;
    }

    /// <summary>
    /// The whole host, in the order every service's follows (defaults → data → messaging → auth → the
    /// service's own → endpoints). Program.cs runs it; tests start that Program (ServiceUnderTest).
    /// </summary>
    public static WebApplication BuildPredictionApp(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.UseServiceEndpoints();
        // Ready only while the replica answers (features, models and the log all live there).
        builder.AddReplicaDataSource("the prediction service reads features and models from the replica.");
        // Each instance consumes ModelDeployed on its own temporary queue: every replica of the service must
        // swap, not just one of them. The broker only brings those events (the registry is also polled):
        // predictions are served without it, so it shows in /health but does not take the service out of rotation.
        builder.AddMessaging(x => x.AddConsumer<ModelDeployedConsumer, ModelDeployedConsumerDefinition>()
            .Endpoint(e =>
            {
                e.InstanceId = "-" + Environment.MachineName.ToLowerInvariant() + "-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..6];
                e.Temporary = true;
            }), brokerNeededToServe: false);
        builder.AddGrpcDefaults();
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGrpcDefaults();
        app.MapGrpcService<PredictionGrpcService>();
        return app;
    }
}
