using StrategicAgent.Agent.Domain.Catalog;

namespace StrategicAgent.Agent.Domain.Planning;

public enum SortOrder
{
    Default,
    Ascending,
    Descending,
}

public sealed record EntityFilter(FilterKind Kind, IReadOnlyList<string> Values);

/// <summary>What a question asks for, in catalog terms. Compiled to SQL by <see cref="SqlCompiler"/>.</summary>
public sealed record QueryPlan(
    Metric Metric,
    Dimension Dimension,
    IReadOnlyList<EntityFilter> Filters,
    TimeWindow? Window,
    SortOrder Order,
    int? Limit)
{
    /// <summary>True when the window was not asked for but the metric needs one (DORA: last 90 days).</summary>
    public bool DefaultWindowApplied { get; init; }

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
        var parts = new List<string> { Metric.Name };
        if (Dimension != Dimension.None)
        {
            parts.Add("by " + MetricCatalog.DimensionColumn(Dimension, Metric.Source));
        }
        foreach (var f in Filters)
        {
            parts.Add($"{f.Kind.ToString().ToLowerInvariant()} in [{string.Join(", ", f.Values)}]");
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
            parts.Add($"top {l}");
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
    public static TenantVocabulary Empty { get; } = new([], [], [], [], []);
}
