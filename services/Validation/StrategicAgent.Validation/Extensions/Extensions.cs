using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Validation.Ai;
using StrategicAgent.Validation.Data;
using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Domain.Judging;

namespace StrategicAgent.Validation.Extensions;

/// <summary>The validation service's wiring (options, catalog source, cost, judge, validators).</summary>
public static class ValidationServiceExtensions
{
    public const string ReplicaConnectionName = ReplicaDataSourceExtensions.ConnectionName;
    public const string JudgeRole = "Judge";

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ValidationOptions>().BindConfiguration(ValidationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // The semantic judge's model (Llm:Judge; provider Llm:Judge:Provider, else Llm:Provider): 30 s per attempt unless set.
        var judgeProvider = builder.AddLlm(JudgeRole, defaults: o => o.TimeoutSeconds = 30);
        services.TryAddSingleton(TimeProvider.System);

        var source = builder.Configuration.GetValue(CatalogOptions.Section + ":Source", CatalogSource.Replica);
        if (builder.TryAddReplicaDataSource())
        {
            services.AddSingleton<ExplainCostEstimator>();
            services.AddSingleton<ICostEstimator>(sp => new CachedCostEstimator(sp.GetRequiredService<ExplainCostEstimator>(), sp.GetRequiredService<IOptions<ValidationOptions>>()));
            services.AddSingleton<ITenantNames, ReplicaTenantNames>();
            services.AddSingleton<ITieProbe, ReplicaTieProbe>();
        }
        else if (source == CatalogSource.Replica)
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ReplicaConnectionName} is required (or set {CatalogOptions.Section}:Source=Schema to validate against the migration schema without a database).");
        }
        else
        {
            services.AddSingleton<ICostEstimator, NoReplicaCostEstimator>();
            services.AddSingleton<ITenantNames>(new StaticTenantNames(TenantNames.Empty));
        }

        if (source == CatalogSource.Schema)
        {
            services.AddSingleton<ICatalogProvider>(new StaticCatalogProvider(SchemaCatalog.FromPlatformMigrations()));
        }
        else
        {
            services.AddSingleton<ReplicaCatalogProvider>();
            services.AddSingleton<ICatalogProvider>(sp => sp.GetRequiredService<ReplicaCatalogProvider>());
        }

        services.AddSingleton<ISemanticJudge>(sp => judgeProvider == LlmProvider.Offline
            ? new QuestionJudge(sp.GetRequiredService<ITenantNames>(), sp.GetRequiredService<TimeProvider>())
            : new KernelJudge(sp.GetRequiredService<IOptionsMonitor<LlmOptions>>().Get(JudgeRole), sp.GetRequiredService<ILogger<KernelJudge>>()));
        services.AddSingleton<SqlValidator>();
        services.AddSingleton<ResultShapeValidator>();
        return builder;
    }

    /// <summary>Without a replica the cost stage cannot run; Validate reports Unavailable rather than skipping it.</summary>
    private sealed class NoReplicaCostEstimator : ICostEstimator
    {
        public Task<CostOutcome> EstimateAsync(string sql, PlanSafeSql safe, int parameterCount, long clientId, CancellationToken ct) =>
            throw new DependencyUnavailableException($"No replica is configured (ConnectionStrings:{ReplicaConnectionName}); the cost stage cannot run.");
    }
}

/// <summary>
/// The whole host in one place, in the order every service's follows (defaults → auth → the service's own,
/// whose replica decides the catalog source → endpoints), so Program.cs, the tests and the benchmark run the
/// very same app (they only add configuration and a Kestrel endpoint to the builder first).
/// </summary>
public static class ValidationApp
{
    public static WebApplication BuildValidationApp(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.UseServiceEndpoints();
        builder.AddGrpcDefaults();
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGrpcDefaults();
        app.MapGrpcService<StrategicAgent.Validation.Grpc.ValidationGrpcService>();
        return app;
    }
}
