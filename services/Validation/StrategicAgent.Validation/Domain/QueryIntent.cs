namespace StrategicAgent.Validation.Domain;

/// <summary>What the question asked for, as the planner understood it (mirror of the proto's Intent).</summary>
public sealed record QueryIntent
{
    public string Metric { get; init; } = "";
    /// <summary>count | avg | median | p90 | sum | ratio | min | max</summary>
    public string Aggregate { get; init; } = "";
    public IReadOnlyList<string> GroupBy { get; init; } = [];
    public IReadOnlyList<string> Filters { get; init; } = [];
    /// <summary>"last_90_days", "this_quarter", "2025-01-01..2025-03-31", or empty.</summary>
    public string TimeWindow { get; init; } = "";
    public string TimeColumn { get; init; } = "";
    public string Ordering { get; init; } = "";
    public int Limit { get; init; }
    public string ResultShape { get; init; } = "";

    public bool IsEmpty => Metric.Length == 0 && Aggregate.Length == 0 && GroupBy.Count == 0 && Filters.Count == 0
                           && TimeWindow.Length == 0 && Ordering.Length == 0 && Limit == 0;
}

public sealed record SqlValidationRequest(string Sql, string Question = "", QueryIntent? Intent = null, long ClientId = 0, bool SkipSemantic = false)
{
    /// <summary>The asker's date (relative periods in the question); null: the service's UTC date.</summary>
    public DateOnly? Today { get; init; }

    /// <summary>
    /// Leave the tie probe to the caller's result (<see cref="ValidationReport.TieCheckRows"/>): a top N can only cut through a
    /// tie when the query returns all n rows, which the caller that runs it learns for free.
    /// </summary>
    public bool DeferTieProbe { get; init; }
}

/// <summary>
/// What a caller learns of a plan estimate: a level against the limits, never the estimate itself
/// (see <see cref="CostLevels"/>).
/// </summary>
public sealed record CostEstimate(CostLevel Level, double MaxCost, double MaxRows, bool Cached = false);

/// <summary>The larger of estimated cost / cost limit and estimated rows / rows limit, in four bands.</summary>
public enum CostLevel
{
    /// <summary>At most 1% of the limits.</summary>
    Low,

    /// <summary>At most 10% of the limits.</summary>
    Medium,

    /// <summary>Within the limits.</summary>
    High,

    /// <summary>Above a limit: too_expensive.</summary>
    OverLimit,
}

public static class CostLevels
{
    /// <summary>
    /// Estimates are bands, not figures: a tenant learns whether its query fits, not the row counts
    /// the planner assumed (generic plans already keep other tenants' sizes out of the estimate; the
    /// band also keeps the platform's table sizes out of the answer, to a factor of ten).
    /// </summary>
    public static CostLevel Of(double totalCost, double planRows, CostLimits limits)
    {
        var share = Math.Max(totalCost / limits.MaxTotalCost, planRows / limits.MaxPlanRows);
        return share > 1 ? CostLevel.OverLimit : share > 0.1 ? CostLevel.High : share > 0.01 ? CostLevel.Medium : CostLevel.Low;
    }
}

public sealed record StageTiming(string Stage, double Ms);

public sealed record JudgeVerdict(
    bool Valid,
    string Justification,
    double Confidence,
    bool Available,
    long PromptTokens = 0,
    long CompletionTokens = 0);

/// <summary>The answer of every SQL validation call; the gRPC layer maps it 1:1.</summary>
public sealed class ValidationReport
{
    public bool Valid { get; set; }
    /// <summary>syntax | static | cost | semantic — the failing stage — or ok.</summary>
    public string Stage { get; set; } = Stages.Ok;
    public List<Finding> Errors { get; } = [];
    public List<Finding> Warnings { get; } = [];
    public List<string> Tables { get; } = [];
    public List<string> Columns { get; } = [];
    public string Fingerprint { get; set; } = "";
    public string Normalized { get; set; } = "";
    public CostEstimate? Cost { get; set; }
    public List<StageTiming> Timings { get; } = [];
    public JudgeVerdict? Judge { get; set; }
    /// <summary>Not sent over the wire: what the judge and tests read.</summary>
    public QueryShape? Shape { get; set; }
    public int ParameterCount { get; set; }

    /// <summary>
    /// With <see cref="SqlValidationRequest.DeferTieProbe"/>: the n of a top N whose tie probe was not run. A result of n rows (or
    /// a capped one) must be validated again without deferring before it is shown; fewer rows cannot cut through a tie.
    /// </summary>
    public long? TieCheckRows { get; set; }
}
