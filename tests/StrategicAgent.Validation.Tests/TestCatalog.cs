using Microsoft.Extensions.Options;
using StrategicAgent.Validation.Ai;
using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Domain.Judging;

namespace StrategicAgent.Validation.Tests;

/// <summary>Database-free wiring for pure tests: the catalog from the migration DDL, the offline (question-reading) judge with tenant 1's demo names.</summary>
public static class TestCatalog
{
    public static readonly SchemaCatalog Schema = SchemaCatalog.FromPlatformMigrations();

    /// <summary>Tenant 1 (Acme Payments) of the demo data: what the judge knows as names.</summary>
    public static readonly TenantNames DemoNames = new(
        ["Platform", "Payments", "Mobile", "Data", "Growth"],
        ["PAY", "API", "MOB", "DATA", "LEG"],
        ["payments-service", "ledger-service", "api-gateway", "infra-config", "mobile-app", "data-pipeline", "legacy-billing"],
        ["Hiro Weber", "Bob Kowalski", "Chidi Silva", "Anders Usman", "Dana Jensen"],
        ["Epic", "Story", "Task", "Bug", "Sub-task"]);

    public static QuestionJudge Judge(TimeProvider? time = null) => new(new StaticTenantNames(DemoNames), time ?? TimeProvider.System);

    public static SqlValidator Validator(ValidationOptions? options = null, ISemanticJudge? judge = null) =>
        new(new StaticCatalogProvider(Schema), new NoCostEstimator(), judge ?? Judge(), Options.Create(options ?? new ValidationOptions()));

    /// <summary>Pure tests never reach the cost stage; this one says so if they do.</summary>
    private sealed class NoCostEstimator : ICostEstimator
    {
        public Task<CostOutcome> EstimateAsync(string sql, PlanSafeSql safe, int parameterCount, long clientId, CancellationToken ct) =>
            throw new DependencyUnavailableException("no replica in pure unit tests");
    }
}
