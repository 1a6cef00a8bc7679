namespace StrategicAgent.Semantic;

// The records of the semantic layer. Everything here is data: SQL fragments over the entity's
// alias, labels, units, and synonyms. A synonym is a regular-expression fragment matched on word
// boundaries against the lower-cased question (see Lexicon).

/// <summary>A join an entity can take, by name; <see cref="After"/> names the join it needs first.</summary>
public sealed record JoinDef(string Name, string Sql, string? After = null);

/// <summary>A numeric, text or time attribute of an entity (a column or an expression over the entity's joins).</summary>
public sealed record AttributeDef(string Name, string Label, string Expression, AttributeType Type, string Unit, IReadOnlyList<string> Synonyms)
{
    /// <summary>Joins the expression needs.</summary>
    public IReadOnlyList<string> Joins { get; init; } = [];

    /// <summary>Predicates that must hold for the value to exist (time to merge: merged).</summary>
    public IReadOnlyList<string> Requires { get; init; } = [];

    /// <summary>
    /// The predicate that says the value was recorded, for a column the data may leave empty on a row that should have it (a done
    /// issue without a lead time, a PR without a size, a story without points); null when it is never unknown that way. A share
    /// whose subset is a threshold on the attribute has two readings — of the rows with a known value, or of every row with the
    /// unknown ones outside — and the question's words must pick one (the predicate's words, "with a recorded file count", or
    /// "counting unknown as not over 10"), else it is refused (docs/agent.md, "The semantic layer").
    /// </summary>
    public string? KnownWhen { get; init; }

    /// <summary>Decimal places of an average over it.</summary>
    public int Digits { get; init; } = 2;

    public Polarity Polarity { get; init; } = Polarity.Volume;

    /// <summary>
    /// For a count of related rows (an epic's child issues): the same count as a join and a condition, so a ranking by it
    /// is the entity's rows grouped by their key and counted (<c>count(*)</c> over the join) rather than a correlated subquery.
    /// </summary>
    public RelatedCount? Related { get; init; }
}

/// <summary>The related rows an attribute counts: the join to them, the joins its condition needs, and the condition.</summary>
public sealed record RelatedCount(string Join, IReadOnlyList<string> Joins, string? Condition)
{
    /// <summary>The related rows' value totalled instead of counted (an epic's children's story points); null: a count.</summary>
    public string? Sum { get; init; }
}

/// <summary>A named boolean condition on an entity's rows ("unassigned", "merged", "without review").</summary>
public sealed record PredicateDef(string Name, string Label, string Sql, IReadOnlyList<string> Synonyms)
{
    public IReadOnlyList<string> Joins { get; init; } = [];

    /// <summary>Predicates of one group exclude each other (an issue is open or done).</summary>
    public string? Group { get; init; }
}

/// <summary>
/// Something that happens to a row at a time ("created", "merged", "resolved"): it picks the time
/// column a window applies to and may add conditions (merged → merged_at is set).
/// </summary>
public sealed record EventDef(string Name, string Label, string TimeAttribute, IReadOnlyList<string> Conditions, IReadOnlyList<string> Synonyms);

/// <summary>A fixed value of a dimension and the words that name it ("rolled back" → rolled_back).</summary>
public sealed record ValueDef(string Value, string Label, IReadOnlyList<string> Synonyms);

/// <summary>How a dimension reads on one entity: the label expression and the joins it needs.</summary>
public sealed record DimensionBinding(string Expression, IReadOnlyList<string> Joins)
{
    /// <summary>The result column when it differs from the dimension's (a PR's person is its "author").</summary>
    public string? Column { get; init; }

    /// <summary>The dimension's fixed values on this entity (statuses, severities); empty for tenant names.</summary>
    public IReadOnlyList<ValueDef> Values { get; init; } = [];

    /// <summary>Label of the person/status on this entity ("author", "status").</summary>
    public string? Label { get; init; }

    /// <summary>
    /// What tells one group from another when the groups are counted ("average PRs per author": distinct authors), when the
    /// label may repeat (two people of one name); null: the label itself.
    /// </summary>
    public string? Key { get; init; }
}

/// <summary>A grouping: its result column, the nouns that name it, and how it binds to each entity.</summary>
public sealed record DimensionDef(
    Dimension Dimension,
    string Column,
    string Label,
    string Plural,
    IReadOnlyList<string> Synonyms,
    IReadOnlyDictionary<EntityKind, DimensionBinding> Bindings)
{
    /// <summary>week | month | quarter for time groupings (bound to the measure's time column), else null.</summary>
    public string? TimeGrain { get; init; }

    /// <summary>The filter kind whose values are this dimension's values, if it can filter.</summary>
    public FilterKind? Filter { get; init; }

    /// <summary>Values are the tenant's own names (teams, projects, repositories, issue types, people).</summary>
    public bool TenantNames { get; init; }

    public bool IsTime => TimeGrain is not null;

    public string ColumnFor(EntityKind entity) =>
        Bindings.TryGetValue(entity, out var b) && b.Column is { } c ? c : Column;

    public string LabelFor(EntityKind entity) =>
        Bindings.TryGetValue(entity, out var b) && b.Label is { } l ? l : Label;
}

/// <summary>One kind of row: its table, joins, attributes, predicates, events and the nouns that name it.</summary>
public sealed record EntityDef
{
    public required EntityKind Kind { get; init; }
    public required string Name { get; init; }
    public required string Table { get; init; }
    public required string Alias { get; init; }
    public required string Singular { get; init; }
    public required string Plural { get; init; }
    public required IReadOnlyList<string> Synonyms { get; init; }

    /// <summary>Joins every query of the entity has (an epic is an issue of type Epic).</summary>
    public IReadOnlyList<string> BaseJoins { get; init; } = [];

    /// <summary>Conditions every query of the entity has besides the tenant filter (active rows).</summary>
    public required IReadOnlyList<string> BaseConditions { get; init; }

    public required IReadOnlyList<JoinDef> Joins { get; init; }
    public required IReadOnlyList<AttributeDef> Attributes { get; init; }
    public required IReadOnlyList<PredicateDef> Predicates { get; init; }
    public required IReadOnlyList<EventDef> Events { get; init; }

    /// <summary>The time attribute a window applies to when nothing else picks one.</summary>
    public required string DefaultTime { get; init; }

    /// <summary>A listing's key column ("PAY-12", "api-gateway#431") and its joins.</summary>
    public required SelectColumn Key { get; init; }
    public IReadOnlyList<string> KeyJoins { get; init; } = [];

    /// <summary>A listing's title column (summary, title), or null when the entity has none.</summary>
    public SelectColumn? Title { get; init; }

    /// <summary>More columns a listing shows after the title (a PR's repository); their joins are in <see cref="KeyJoins"/>.</summary>
    public IReadOnlyList<SelectColumn> Details { get; init; } = [];

    /// <summary>The column that counts the rows behind an average ("issues", "prs").</summary>
    public required string CountColumn { get; init; }

    public AttributeDef? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
    public PredicateDef? Predicate(string name) => Predicates.FirstOrDefault(p => p.Name == name);
    public EventDef? Event(string name) => Events.FirstOrDefault(e => e.Name == name);
    public JoinDef? Join(string name) => Joins.FirstOrDefault(j => j.Name == name);
}

public sealed record SelectColumn(string Expression, string Column);

/// <summary>
/// DORA performance bands (after the DORA State of DevOps reports): a value at or beyond
/// <see cref="Elite"/> is elite, then high, then medium, else low. <see cref="HigherIsBetter"/>
/// says which way "beyond" is; <see cref="Inclusive"/> whether the bound itself counts.
/// </summary>
public sealed record DoraBands(double Elite, double High, double Medium, bool HigherIsBetter, bool Inclusive)
{
    public string Tier(double v)
    {
        bool Beyond(double bound) => HigherIsBetter
            ? (Inclusive ? v >= bound : v > bound)
            : (Inclusive ? v <= bound : v < bound);
        return Beyond(Elite) ? "elite" : Beyond(High) ? "high" : Beyond(Medium) ? "medium" : "low";
    }

    public string Describe(string unit)
    {
        var op = HigherIsBetter ? (Inclusive ? ">=" : ">") : (Inclusive ? "<=" : "<");
        return $"elite {op} {Elite:0.###} {unit}, high {op} {High:0.###}, medium {op} {Medium:0.###}, else low";
    }
}

/// <summary>A measure the definition spells out itself (epic progress: per open epic, over its child issues).</summary>
public sealed record CustomMeasure(
    IReadOnlyList<string> Joins,
    IReadOnlyList<string> Conditions,
    IReadOnlyList<SelectColumn> Columns,
    IReadOnlyList<string> GroupBy,
    string LabelColumn,
    SortOrder DefaultOrder)
{
    /// <summary>Named joins of the entity the columns need (the epic's project).</summary>
    public IReadOnlyList<string> EntityJoins { get; init; } = [];
}

/// <summary>
/// One metric: what is measured (entity, aggregation, attribute or predicate), over which rows
/// (conditions), in time by which column, in which unit. <see cref="Name"/> is also the value
/// column's alias in the compiled SQL.
/// </summary>
public sealed record MetricDef
{
    public required string Name { get; init; }
    public required string Title { get; init; }
    public required string Family { get; init; }
    public required EntityKind Entity { get; init; }
    public required Aggregation Aggregation { get; init; }

    /// <summary>The attribute aggregated (Sum, Avg, Median, P90, Min, Max, Value).</summary>
    public string? Attribute { get; init; }

    /// <summary>Predicates every row of the metric satisfies (completed issues: done).</summary>
    public IReadOnlyList<string> Conditions { get; init; } = [];

    /// <summary>
    /// Dimension values the metric assumes unless the question says otherwise (DORA: environment
    /// production). A filter or grouping on the same dimension replaces them.
    /// </summary>
    public IReadOnlyList<DefaultFilter> Defaults { get; init; } = [];

    /// <summary>The predicate whose share of rows is the value (Share).</summary>
    public string? ShareOf { get; init; }

    /// <summary>
    /// A ratio of two attributes ("lines deleted per line added"): the attribute whose total divides the total of
    /// <see cref="Attribute"/> over the same rows (Ratio with an attribute).
    /// </summary>
    public string? PerAttribute { get; init; }

    /// <summary>Result column counting the rows of <see cref="ShareOf"/> ("rework_prs").</summary>
    public string? ShareColumn { get; init; }

    /// <summary>The time attribute the window and time groupings apply to.</summary>
    public required string TimeAttribute { get; init; }

    public required string Unit { get; init; }
    public required Polarity Polarity { get; init; }
    public required string Definition { get; init; }

    /// <summary>The period used when the question names none (DORA: last 90 days), said in the answer.</summary>
    public int? DefaultWindowDays { get; init; }

    /// <summary>The grouping used when the question names none (throughput: per week).</summary>
    public Dimension DefaultDimension { get; init; } = Dimension.None;

    /// <summary>Decimal places of the value.</summary>
    public int Digits { get; init; } = 2;

    public DoraBands? Dora { get; init; }

    /// <summary>One of DORA's five key metrics (throughput and instability): the agent's DORA summary shows these.</summary>
    public bool DoraKey { get; init; }
    public CustomMeasure? Custom { get; init; }

    /// <summary>Groupings allowed; null means every dimension the entity binds.</summary>
    public IReadOnlyList<Dimension>? OnlyDimensions { get; init; }

    public IReadOnlyList<string> Examples { get; init; } = [];

    /// <summary>Phrases that name this metric directly ("time to merge", "mttr").</summary>
    public IReadOnlyList<string> Synonyms { get; init; } = [];

    /// <summary>True for a measure built from the question (not in the catalog by name).</summary>
    public bool Derived { get; init; }

    /// <summary>A derived measure's signature ("derived/…"), from which the layer rebuilds it.</summary>
    public string? Spec { get; init; }

    /// <summary>What identifies the metric when stored (a conversation's plan): the catalog name, or the derived spec.</summary>
    public string Key => Spec ?? Name;

    public bool IsDora => Family == "dora";

    /// <summary>The aggregate as the validation service's intent names it.</summary>
    public string Aggregate => Aggregation switch
    {
        Aggregation.Count => "count",
        Aggregation.Sum => "sum",
        Aggregation.Avg => "avg",
        Aggregation.Median => "median",
        Aggregation.P90 => "p90",
        Aggregation.Min => "min",
        Aggregation.Max => "max",
        Aggregation.Value => "",
        _ => "ratio",
    };

    /// <summary>The DORA tier of a value, or null for a non-DORA metric or no value.</summary>
    public string? Tier(double? value) => Dora is { } d && value is { } v ? d.Tier(v) : null;
}

/// <summary>A dimension value a metric assumes (environment = production).</summary>
public sealed record DefaultFilter(FilterKind Kind, string Value);

/// <summary>
/// A listing adjective ("largest", "oldest", "most commented"): the top or bottom rows of an
/// entity by an attribute, per entity it applies to.
/// </summary>
public sealed record ListingDef(string Name, string Label, SortOrder Order, IReadOnlyDictionary<EntityKind, string> Attributes, IReadOnlyList<string> Synonyms)
{
    /// <summary>Predicates the listing implies on an entity ("longest-running" epics: still open).</summary>
    public IReadOnlyDictionary<EntityKind, IReadOnlyList<string>> Conditions { get; init; } = new Dictionary<EntityKind, IReadOnlyList<string>>();
}

/// <summary>A word or phrase of the closed vocabulary (aggregations, orderings, comparators, cues).</summary>
public sealed record WordDef(string Pattern, ConceptKind Kind, string Target);
