using Microsoft.Extensions.Options;
using StrategicAgent.Validation.Ai;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Tests;

/// <summary>Database-free wiring for pure tests: the catalog from the migration DDL, the offline judge.</summary>
public static class TestCatalog
{
    public static readonly SchemaCatalog Schema = SchemaCatalog.FromPlatformMigrations();

    public static SqlValidator Validator(ValidationOptions? options = null, ISemanticJudge? judge = null) =>
        new(new StaticCatalogProvider(Schema), new NoCostEstimator(), judge ?? new OfflineJudge(), Options.Create(options ?? new ValidationOptions()));

    /// <summary>Pure tests never reach the cost stage; this one says so if they do.</summary>
    private sealed class NoCostEstimator : ICostEstimator
    {
        public Task<CostOutcome> EstimateAsync(string sql, int parameterCount, long clientId, CancellationToken ct) =>
            throw new DependencyUnavailableException("no replica in pure unit tests");
    }
}
