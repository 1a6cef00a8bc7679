using System.Globalization;

namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>A filter on a dimension's values: the tenant's names (team, project …) or a fixed value set (severity, status …).</summary>
public sealed record EntityFilter(FilterKind Kind, IReadOnlyList<string> Values);

/// <summary>
/// A condition on the measured rows from the question: a named predicate of the entity
/// ("unassigned", "without review") or a numeric threshold on an attribute ("more than 30 changed
/// files"). Threshold values are bound as parameters.
/// </summary>
public sealed record Condition(string? Predicate, string? Attribute, Comparison Comparison, IReadOnlyList<decimal> Values)
{
    public static Condition Of(string predicate) => new(predicate, null, Comparison.Equal, []);

    public static Condition Threshold(string attribute, Comparison comparison, params decimal[] values) => new(null, attribute, comparison, values);

    public bool IsThreshold => Attribute is not null;

    /// <summary>"without review", "changed files more than 30", "story points between 3 and 8".</summary>
    public string Describe(EntityDef entity)
    {
        if (Predicate is not null)
        {
            return entity.Predicate(Predicate)?.Label ?? Predicate;
        }
        var label = entity.Attribute(Attribute!)?.Label ?? Attribute;
        string V(int i) => Values[i].ToString("0.##", CultureInfo.InvariantCulture);
        return Comparison switch
        {
            Comparison.GreaterThan => $"{label} more than {V(0)}",
            Comparison.AtLeast => $"{label} at least {V(0)}",
            Comparison.LessThan => $"{label} under {V(0)}",
            Comparison.AtMost => $"{label} at most {V(0)}",
            Comparison.Between => $"{label} between {V(0)} and {V(1)}",
            _ => $"{label} equal to {V(0)}",
        };
    }
}

/// <summary>What a question asks for, in the semantic layer's terms. Compiled to SQL by <see cref="SqlCompiler"/>.</summary>
public sealed record QueryPlan(
    MetricDef Metric,
    Dimension Dimension,
    IReadOnlyList<EntityFilter> Filters,
    TimeWindow? Window,
    SortOrder Order,
    int? Limit)
{
    /// <summary>Predicates and thresholds the question put on the rows (besides the metric's own conditions).</summary>
    public IReadOnlyList<Condition> Conditions { get; init; } = [];

    /// <summary>True when the window was not asked for but the metric needs one (DORA: last 90 days).</summary>
    public bool DefaultWindowApplied { get; init; }

    /// <summary>For a share whose subset is not one named predicate: the subset ("failed", "sev1 or sev2"); a ratio's numerator.</summary>
    public ShareSubset? Subset { get; init; }

    /// <summary>A ratio's denominator ("per story").</summary>
    public ShareSubset? Denominator { get; init; }

    /// <summary>Days per unit of a rate when the question asked for other units than per day ("per week" = 7).</summary>
    public int? RateUnitDays { get; init; }

    /// <summary>
    /// "On average, how many PRs does each author open?": the count averaged over the groups of <see cref="Dimension"/> (rows with a
    /// value ÷ distinct groups), one number — not one row per group.
    /// </summary>
    public bool AveragePerGroup { get; init; }

    /// <summary>
    /// A ranking cut ("which team …", "the biggest PR", "the top 5 authors", "the 10 oldest open bugs"): the SQL keeps every row
    /// tied with the last one kept (<c>FETCH FIRST n ROWS WITH TIES</c>), so a tie at the cut is shown, never cut by the key's
    /// text order. A question that says how to break ties would need its own order; the reader reads none today.
    /// </summary>
    public bool ShowsTies => Limit is not null && Order != SortOrder.Default;

    /// <summary>True for a listing: the top/bottom rows of the entity with their key and title, no aggregate.</summary>
    public bool IsListing => Metric.Aggregation == Aggregation.Value;

    /// <summary>The validation service's result shape for these rows (its header rules decide which fit).</summary>
    public string ResultShape => Metric switch
    {
        { Family: "dora", Name: not "incidents_count" } => "dora_metrics",
        { Family: "rework" } when Dimension is Dimension.Repository or Dimension.Assignee => "rework_analysis",
        _ when Dimension == Dimension.Team => "team_analysis",
        _ when Dimension == Dimension.Project => "project_analysis",
        _ => "generic",
    };

    /// <summary>One line a person (and the judge) can read: "lead_time_avg_days by team, last quarter, team in [Platform]".</summary>
    public string Describe()
    {
        var model = SemanticModel.Default;
        var entity = model.Entity(Metric.Entity);
        var parts = new List<string> { Metric.Name };
        if (Dimension != Dimension.None)
        {
            parts.Add("by " + model.Dimension(Dimension).ColumnFor(Metric.Entity));
        }
        foreach (var f in Filters)
        {
            parts.Add($"{f.Kind.ToString().ToLowerInvariant()} in [{string.Join(", ", f.Values)}]");
        }
        foreach (var c in Conditions)
        {
            parts.Add(c.Describe(entity));
        }
        string Of(ShareSubset s) => string.Join(" and ", s.Filters.Select(f => $"{f.Kind.ToString().ToLowerInvariant()} in [{string.Join(", ", f.Values)}]")
            .Concat(s.Conditions.Select(c => c.Describe(entity))));
        if (Subset is { } subset && Denominator is { } denominator)
        {
            parts.Add($"{Of(subset)} per {Of(denominator)}");
        }
        else if (Subset is { } share)
        {
            parts.Add("share of " + Of(share));
        }
        if (RateUnitDays is 7)
        {
            parts.Add("per week");
        }
        if (AveragePerGroup)
        {
            parts.Add("averaged over the groups");
        }
        if (Window is not null)
        {
            parts.Add(Window.Label);
        }
        if (Order != SortOrder.Default)
        {
            parts.Add(Order == SortOrder.Descending ? "highest first" : "lowest first");
        }
        if (Limit is { } l)
        {
            parts.Add(ShowsTies ? $"top {l} with ties" : $"top {l}");
        }
        return string.Join(", ", parts);
    }
}

/// <summary>The tenant's names the parser recognises in a question (loaded from the replica, cached).</summary>
public sealed record TenantVocabulary(
    IReadOnlyList<string> Teams,
    IReadOnlyList<(string Key, string Name)> Projects,
    IReadOnlyList<string> Repositories,
    IReadOnlyList<string> IssueTypes,
    IReadOnlyList<string> Users)
{
    /// <summary>The caller's own organisation name(s) (clients.name): naming it is not naming another tenant.</summary>
    public IReadOnlyList<string> Organisation { get; init; } = [];

    public static TenantVocabulary Empty { get; } = new([], [], [], [], []);
}
