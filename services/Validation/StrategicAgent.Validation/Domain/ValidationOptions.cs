using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Validation.Domain;

/// <summary>Section <c>Validation</c>.</summary>
public sealed class ValidationOptions
{
    public const string Section = "Validation";

    /// <summary>Larger SQL is refused with InvalidArgument before parsing.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxSqlBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Texts up to this many characters are parsed on the caller's thread; longer ones on a dedicated
    /// thread with a large stack (the parser and its JSON output recurse once per nesting level).
    /// </summary>
    [Range(256, 65536)]
    public int InlineParseMaxChars { get; set; } = 4096;

    /// <summary>Largest LIMIT a non-aggregated select may use.</summary>
    [Range(1, 10_000_000)]
    public int RowCap { get; set; } = 1000;

    /// <summary>missing_limit is an error (true) or only a warning.</summary>
    public bool RequireLimit { get; set; } = true;

    /// <summary>Fill the report's normalized SQL (constants replaced by $n) in Validate/ValidateCost/ValidateSemantics.</summary>
    public bool IncludeNormalized { get; set; } = true;

    [Required]
    public CostLimits Cost { get; set; } = new();

    /// <summary>Judge pass threshold: valid and confidence strictly above it.</summary>
    [Range(0.0, 1.0)]
    public double JudgeMinConfidence { get; set; } = 0.7;
}

public sealed class CostLimits
{
    /// <summary>EXPLAIN's estimated total cost above which a query is too_expensive.</summary>
    [Range(1.0, double.MaxValue)]
    public double MaxTotalCost { get; set; } = 1_000_000;

    /// <summary>EXPLAIN's estimated rows above which a query is too_expensive.</summary>
    [Range(1.0, double.MaxValue)]
    public double MaxPlanRows { get; set; } = 1_000_000;

    /// <summary>
    /// statement_timeout of each statement of the cost check (PREPARE, EXPLAIN EXECUTE), and the time
    /// the whole check may take, in milliseconds.
    /// </summary>
    [Range(10, 60_000)]
    public int TimeoutMs { get; set; } = 2000;

    /// <summary>work_mem for the planning session, in kB (pinned so estimates do not follow the server's setting).</summary>
    [Range(64, 1_048_576)]
    public int WorkMemKb { get; set; } = 4096;

    /// <summary>Cost checks planning on the replica at once; more wait for a slot (within the caller's deadline).</summary>
    [Range(1, 256)]
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>How long an EXPLAIN estimate is reused for the same SQL text, in seconds; 0 = always EXPLAIN.</summary>
    [Range(0, 86_400)]
    public int CacheSeconds { get; set; } = 60;

    /// <summary>How many distinct SQL texts the estimate cache holds.</summary>
    [Range(1, 1_000_000)]
    public int CacheEntries { get; set; } = 10_000;
}

/// <summary>The cost stage's database side (EXPLAIN on the replica).</summary>
public interface ICostEstimator
{
    /// <summary>
    /// Plans the query; returns the estimate, or a finding when PostgreSQL refuses to plan it.
    /// Throws <see cref="DependencyUnavailableException"/> when the replica cannot be reached.
    /// </summary>
    /// <param name="safe">What is planned: <paramref name="sql"/> made plan-safe (<see cref="PlanSafeSql.Create(Parsing.ParsedSql, bool)"/>),
    /// from the validator's one parse of the SQL.</param>
    Task<CostOutcome> EstimateAsync(string sql, PlanSafeSql safe, int parameterCount, long clientId, CancellationToken ct);
}

public static class CostEstimators
{
    /// <summary>Plans <paramref name="sql"/> after parsing it here (callers without a parse of their own).</summary>
    public static Task<CostOutcome> EstimateAsync(this ICostEstimator estimator, string sql, int parameterCount, long clientId, CancellationToken ct) =>
        estimator.EstimateAsync(sql, PlanSafeSql.Create(sql), parameterCount, clientId, ct);
}

/// <summary>An EXPLAIN estimate (or the planner's refusal); <paramref name="Cached"/> when it was remembered, not planned now.</summary>
public sealed record CostOutcome(double TotalCost, double PlanRows, Finding? Error, bool Cached = false);
