using StrategicAgent.Semantic;

namespace StrategicAgent.Validation.Domain.Judging;

/// <summary>The tenant's own names, which a question may use as filters (team Platform, project PAY, api-gateway, Hiro Weber, bugs).</summary>
public sealed record TenantNames(
    IReadOnlyList<string> Teams,
    IReadOnlyList<string> Projects,
    IReadOnlyList<string> Repositories,
    IReadOnlyList<string> People,
    IReadOnlyList<string> IssueTypes)
{
    public static TenantNames Empty { get; } = new([], [], [], [], []);
}

/// <summary>Reads a tenant's names (cached by the implementation).</summary>
public interface ITenantNames
{
    ValueTask<TenantNames> GetAsync(long clientId, CancellationToken ct);
}

/// <summary>Something the question asks for that the SQL must express; <see cref="Label"/> is in the question's words.</summary>
public abstract record Concept(string Label);

/// <summary>A condition on the rows: any one of <see cref="Forms"/> (each a set of conditions that must all be there) expresses it.</summary>
public sealed record FilterConcept(string Label, IReadOnlyList<IReadOnlyList<SqlCondition>> Forms) : Concept(Label)
{
    /// <summary>Which rows of an epic question the condition is said of ("the open epic with the most open issues"): the epic or its child issues; null when the words do not say.</summary>
    public IssueRole? Role { get; init; }

    /// <summary>The population of a share ("share of stories …"): a condition that picks the rows, not one of the numerator's FILTER or CASE.</summary>
    public bool Population { get; init; }
}

/// <summary>The two kinds of issue rows an epic question names: the epic itself, or the issues under it.</summary>
public enum IssueRole
{
    Epic,
    Child,
}

/// <summary>
/// How rows become the value: one of <see cref="Aggregates"/> (count, sum, avg, median, p90, min, max, or
/// share/rate = a division) over <see cref="Columns"/> (empty: any).
/// </summary>
public sealed record MeasureConcept(string Label, IReadOnlySet<string> Aggregates, IReadOnlyList<string> Columns) : Concept(Label);

/// <summary>A grouping: one of the <see cref="Keys"/> columns, or a time bucket of <see cref="TimeGrain"/> ("any" for a trend); a rate may be a division instead.</summary>
public sealed record GroupingConcept(string Label, IReadOnlyList<string> Keys, string? TimeGrain, bool DivisionWillDo) : Concept(Label)
{
    /// <summary>"On average, how many PRs does each author open": one number, the rows divided by the count of distinct <see cref="Keys"/>, not a grouping.</summary>
    public bool AveragedOver { get; init; }

    /// <summary>
    /// The entity's column the grouped table is reached by, when it tells the grouping apart from another one with the same label column:
    /// a reporter (issues.reporter_id) and an assignee (issues.assignee_id) are both users.name. The SQL must join (or group) through it.
    /// </summary>
    public string? Via { get; init; }
}

/// <summary>A period, applied to one of <see cref="TimeColumns"/>.</summary>
public sealed record WindowConcept(string Label, DateTime From, DateTime To, IReadOnlyList<string> TimeColumns) : Concept(Label);

/// <summary>
/// An ordering (top/bottom, most, slowest …), with a row count when the question gives one; a listing of rows
/// rather than one aggregate; <see cref="Direction"/> (asc/desc) when the words fix it for an aggregate ("most", "fewest").
/// </summary>
public sealed record OrderConcept(string Label, int? Limit, bool Listing, string? Direction) : Concept(Label)
{
    /// <summary>The question asks for one row ("which team …", "the biggest PR"): a row cut, if any, is to one row.</summary>
    public string? Single { get; init; }
}

/// <summary>
/// A listing of the entity's rows ("list the epics with …", "show me the open bugs"): each answer row is one of them — not one
/// aggregate, not a row per some group — and the question's conditions pick the rows (not an aggregate's FILTER or a CASE).
/// </summary>
public sealed record ListingConcept(string Label, string Noun, IReadOnlyList<string> KeyColumns) : Concept(Label);

/// <summary>The rows asked about: the query must read <see cref="Table"/>.</summary>
public sealed record EntityConcept(string Label, string Table) : Concept(Label);

/// <summary>
/// The judge's reading of a question: what the SQL must express (<see cref="Concepts"/>), the conditions it
/// may carry besides them (the definitions of the metric and entities named), the time columns a
/// window may apply to, and what a default window of the metric allows.
/// </summary>
public sealed record QuestionReading(
    IReadOnlyList<Concept> Concepts,
    EntityKind? Entity,
    MetricDef? Metric,
    IReadOnlyList<SqlCondition> Allowed,
    IReadOnlyList<string> TimeColumns,
    IReadOnlyList<string> MentionedNames,
    IReadOnlyList<string> AllowedGroupKeys,
    int? DefaultWindowDays)
{
    /// <summary>The question's words and two-word phrases (lower case), for values it says in so many words.</summary>
    public IReadOnlySet<string> Words { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The columns of the values the question names (its attributes, what its listing words rank by, its metric's measure): an aggregate of another column is not asked for.</summary>
    public IReadOnlySet<string> NamedColumns { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>An epic question that names the epics' child issues (so a join to them is asked for).</summary>
    public bool ChildrenNamed { get; init; }

    /// <summary>The question asks for one value over another of the same kind ("the ratio of bugs to stories"), not a share of their sum.</summary>
    public bool Ratio { get; init; }

    /// <summary>Words that change what is counted (negations, comparatives, superlatives, first/last …) the reading could not place.</summary>
    public IReadOnlyList<string> Unplaced { get; init; } = [];

    /// <summary>Numbers of the question no concept holds (a threshold or row count the reading did not attach): the SQL must say each.</summary>
    public IReadOnlyList<(string Text, double Value)> Numbers { get; init; } = [];

    /// <summary>The unit a duration is asked in, as its divisor from seconds (3600 hours, 86400 days, 604800 weeks).</summary>
    public double? Unit { get; init; }

    /// <summary>The question asks for a rate per day ("per day", "daily").</summary>
    public bool PerDay { get; init; }

    /// <summary>A yes/no question about how one value moves with another ("do bigger stories take longer?"): its comparatives are shown by a grouping.</summary>
    public bool Relation { get; init; }

    public IEnumerable<T> Of<T>() where T : Concept => Concepts.OfType<T>();
}

/// <summary>Fixed names (tests, benchmarks, a service without a replica).</summary>
public sealed class StaticTenantNames(TenantNames names) : ITenantNames
{
    public ValueTask<TenantNames> GetAsync(long clientId, CancellationToken ct) => ValueTask.FromResult(names);
}
