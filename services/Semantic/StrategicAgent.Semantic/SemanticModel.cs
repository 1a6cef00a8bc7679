using System.Globalization;
using System.Text.RegularExpressions;

namespace StrategicAgent.Semantic;

/// <summary>
/// The semantic layer: every entity, metric, dimension, filter, listing and synonym, checked for
/// consistency when it is built (a dangling reference or a bad pattern fails at start, naming the
/// definition), plus the <see cref="Lexicon"/> built from them. <see cref="Default"/> is the
/// platform's layer; the parser, the SQL compiler, the LLM prompt, the judge and the catalog
/// endpoint all read it.
/// </summary>
public sealed partial class SemanticModel
{
    private readonly Dictionary<string, MetricDef> _metrics;
    private readonly Dictionary<EntityKind, EntityDef> _entities;

    public SemanticModel(
        IReadOnlyList<EntityDef> entities,
        IReadOnlyList<DimensionDef> dimensions,
        IReadOnlyList<MetricDef> metrics,
        IReadOnlyList<ListingDef> listings,
        IReadOnlyList<WordDef> words,
        IReadOnlyList<string> stopWords)
    {
        Entities = entities;
        Dimensions = dimensions;
        Metrics = metrics;
        Listings = listings;
        Words = words;
        _entities = entities.ToDictionary(e => e.Kind);
        _metrics = new Dictionary<string, MetricDef>(StringComparer.Ordinal);
        foreach (var m in metrics)
        {
            if (!_metrics.TryAdd(m.Name, m))
            {
                throw new SemanticModelException([$"metric {m.Name} is defined twice"]);
            }
        }
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new SemanticModelException(problems);
        }
        Lexicon = new Lexicon(BuildEntries(), stopWords);
    }

    /// <summary>The platform's semantic layer (the definitions in this library).</summary>
    public static SemanticModel Default { get; } = new(
        Semantic.Entities.All, Semantic.Dimensions.All, Semantic.Metrics.All, Semantic.Words.Listings,
        [.. Semantic.Words.Measures, .. Semantic.Words.Orders, .. Semantic.Words.Comparators, .. Semantic.Words.GroupingCues],
        Semantic.Words.StopWords);

    public IReadOnlyList<EntityDef> Entities { get; }
    public IReadOnlyList<DimensionDef> Dimensions { get; }

    /// <summary>The catalogued metrics (not the derived ones).</summary>
    public IReadOnlyList<MetricDef> Metrics { get; }

    public IReadOnlyList<ListingDef> Listings { get; }

    /// <summary>The platform's tables and columns in brief, as a prompt or a person reads them (the validation service checks the real catalog).</summary>
    public const string SchemaSummary = """
        clients(id, name, active)
        teams(id, client_id, name, active)
        users(id, client_id, team_id, name, email, active)
        projects(id, client_id, key, name, team_id, active)            -- a project belongs to a team
        issuetypes(id, client_id, original_name, active)                -- Epic, Story, Task, Bug, Sub-task
        status_mappings(id, client_id, status_from, status_to, active)  -- status_to in 'To Do', 'In Progress', 'Done'
        statuses(id, client_id, original_name, status_mapping_id, active)
        issues(id, client_id, project_id, key, summary, issuetype_id, status_id, priority, assignee_id, reporter_id,
               parent_id, story_points, comment_count, created, updated, work_first_started_at, work_last_completed_at,
               total_lead_time_seconds, active)                          -- parent_id links a story to its epic
        repositories(id, client_id, name, full_name, team_id, active)   -- a repository belongs to a team
        pull_requests(id, client_id, repository_id, issue_id, number, title, author_id, commit_count, changed_files,
               additions, deletions, review_cycles, rework_commit_count, created_at, merged_at, closed_at, status, active)
        deployments(id, client_id, repository_id, environment, status, deployed_at, lead_time_seconds)  -- status success|failed|rolled_back
        incidents(id, client_id, deployment_id, created_at, resolved_at, severity)                      -- severity sev1..sev4
        """;
    public IReadOnlyList<WordDef> Words { get; }
    public Lexicon Lexicon { get; }

    public EntityDef Entity(EntityKind kind) => _entities[kind];

    /// <summary>A metric by its <see cref="MetricDef.Key"/>: a catalog name, or a derived measure's spec.</summary>
    public bool TryGetMetric(string key, out MetricDef metric)
    {
        if (_metrics.TryGetValue(key, out metric!))
        {
            return true;
        }
        if (DerivedSpec.TryParse(key, out var spec) && _entities.TryGetValue(spec.Entity, out var entity) && spec.IsValidFor(entity))
        {
            metric = Derive(spec);
            return true;
        }
        metric = null!;
        return false;
    }

    public MetricDef Metric(string key) =>
        TryGetMetric(key, out var m) ? m : throw new ArgumentException($"Unknown metric '{key}'.", nameof(key));

    /// <summary>The definition of a grouping (for <see cref="Dimension.Assignee"/> the person, not the PR-only "author" words).</summary>
    public DimensionDef Dimension(Dimension d) => Dimensions.First(x => x.Dimension == d);

    public DimensionDef DimensionOf(FilterKind kind) => Dimensions.First(x => x.Filter == kind);

    /// <summary>The groupings a metric can have: its own list, else every dimension its entity binds, plus time.</summary>
    public IReadOnlyList<Dimension> DimensionsOf(MetricDef m) =>
        m.OnlyDimensions ?? Dimensions.Where(d => d.IsTime || d.Bindings.ContainsKey(m.Entity)).Select(d => d.Dimension).Distinct().ToList();

    public bool Supports(MetricDef m, Dimension d) => d == Semantic.Dimension.None || DimensionsOf(m).Contains(d);

    /// <summary>The value filters a metric's entity takes.</summary>
    public IReadOnlyList<FilterKind> FiltersOf(MetricDef m) =>
        Dimensions.Where(d => d.Filter is not null && d.Bindings.ContainsKey(m.Entity)).Select(d => d.Filter!.Value).Distinct().ToList();

    public DimensionBinding? Binding(Dimension d, EntityKind entity) =>
        Dimensions.FirstOrDefault(x => x.Dimension == d && x.Bindings.ContainsKey(entity))?.Bindings[entity];

    /// <summary>
    /// The metric measuring <paramref name="aggregation"/> of <paramref name="attribute"/> (or the share
    /// of <paramref name="shareOf"/>) over <paramref name="entity"/> rows satisfying
    /// <paramref name="conditions"/>, timed by <paramref name="timeAttribute"/>: the catalog's own
    /// metric when one has exactly this signature, else a derived one (its key round-trips through
    /// <see cref="TryGetMetric"/>).
    /// </summary>
    public MetricDef Measure(EntityKind entity, Aggregation aggregation, string? attribute, string? shareOf, IReadOnlyCollection<string> conditions, string timeAttribute)
    {
        var spec = new DerivedSpec(entity, aggregation, attribute, shareOf, timeAttribute, Normalise(entity, aggregation, attribute, conditions));
        var match = Metrics.FirstOrDefault(m => spec.Matches(m, this));
        return match ?? Derive(spec);
    }

    /// <summary>Conditions an attribute needs are part of the measure (an average time to merge is over merged PRs).</summary>
    private IReadOnlyList<string> Normalise(EntityKind entity, Aggregation aggregation, string? attribute, IReadOnlyCollection<string> conditions)
    {
        var all = new SortedSet<string>(conditions, StringComparer.Ordinal);
        if (attribute is not null && Entity(entity).Attribute(attribute) is { } a && aggregation != Aggregation.Value)
        {
            all.UnionWith(a.Requires);
        }
        return [.. all];
    }

    private MetricDef Derive(DerivedSpec s)
    {
        var e = Entity(s.Entity);
        var a = s.Attribute is null ? null : e.Attribute(s.Attribute);
        if (s.Aggregation == Aggregation.Ratio && a is not null)
        {
            return DeriveAttributeRatio(s, e, a, e.Attribute(s.ShareOf!)!);
        }
        var conditionLabels = s.Conditions.Select(c => e.Predicate(c)?.Label ?? c).ToList();
        var of = conditionLabels.Count == 0 ? "" : " (" + string.Join(", ", conditionLabels) + ")";
        var (name, title, unit, polarity, digits) = s.Aggregation switch
        {
            Aggregation.Count => ($"{e.CountColumn}_count", Cap(e.Plural), e.Plural, Polarity.Volume, 0),
            Aggregation.Share when s.ShareOf is null => ("share_pct", $"Share of {e.Plural}", "%", Polarity.Volume, 1),
            Aggregation.Share => ($"{s.ShareOf}_pct", $"Share of {e.Plural} {e.Predicate(s.ShareOf!)!.Label}", "%", Polarity.Volume, 1),
            Aggregation.RatePerDay => ($"{e.CountColumn}_per_day", $"{Cap(e.Plural)} per day", $"{e.Plural}/day", Polarity.Volume, 3),
            Aggregation.Ratio => ("ratio", "Ratio", $"{e.Plural} per {e.Singular}", Polarity.Volume, 4),
            Aggregation.Value => (a!.Name, Cap(a.Label), a.Unit, a.Polarity, 2),
            _ => ($"{a!.Name}_{Short(s.Aggregation)}", $"{Cap(AggregationLabel(s.Aggregation))} {a.Label} per {e.Singular}", a.Unit, a.Polarity, s.Aggregation == Aggregation.Sum ? 1 : 2),
        };
        var what = s.Aggregation switch
        {
            Aggregation.Count => $"count of {e.Plural}",
            Aggregation.Share when s.ShareOf is null => $"percent of {e.Plural} in the subset the question names",
            Aggregation.Share => $"percent of {e.Plural} that are {e.Predicate(s.ShareOf!)!.Label}",
            Aggregation.RatePerDay => $"{e.Plural} per day of the period",
            Aggregation.Ratio => $"{e.Plural} of one subset per {e.Singular} of another (the question names both)",
            Aggregation.Value => $"{a!.Label} of each {e.Singular} ({a.Expression})",
            _ => $"{AggregationLabel(s.Aggregation)} of {a!.Label} ({a.Expression}) over {e.Plural}",
        };
        return new MetricDef
        {
            Name = name,
            Title = title,
            Family = "derived",
            Entity = s.Entity,
            Aggregation = s.Aggregation,
            Attribute = s.Attribute,
            Conditions = s.Conditions,
            ShareOf = s.ShareOf,
            ShareColumn = s.ShareOf is null ? null : $"{s.ShareOf}_{e.CountColumn}",
            TimeAttribute = s.TimeAttribute,
            Unit = unit,
            Polarity = polarity,
            Digits = digits,
            Definition = $"{what}{of}, by {e.Attribute(s.TimeAttribute)?.Label ?? s.TimeAttribute}",
            Derived = true,
            Spec = s.ToString(),
        };
    }

    /// <summary>"Lines deleted per line added": the total of one attribute over the rows divided by the total of another.</summary>
    private static MetricDef DeriveAttributeRatio(DerivedSpec s, EntityDef e, AttributeDef a, AttributeDef per)
    {
        var of = s.Conditions.Count == 0 ? "" : " (" + string.Join(", ", s.Conditions.Select(c => e.Predicate(c)?.Label ?? c)) + ")";
        return new MetricDef
        {
            Name = $"{a.Name}_per_{per.Name}",
            Title = $"{Cap(a.Label)} per {Singular(per.Label)}",
            Family = "derived",
            Entity = s.Entity,
            Aggregation = Aggregation.Ratio,
            Attribute = a.Name,
            PerAttribute = per.Name,
            Conditions = s.Conditions,
            TimeAttribute = s.TimeAttribute,
            Unit = $"{a.Unit} per {Singular(per.Unit)}",
            Polarity = Polarity.Volume,
            Digits = 4,
            Definition = $"total {a.Label} ({a.Expression}) divided by total {per.Label} ({per.Expression}) over {e.Plural}{of}, by {e.Attribute(s.TimeAttribute)?.Label ?? s.TimeAttribute}",
            Derived = true,
            Spec = s.ToString(),
        };
    }

    /// <summary>"lines added" → "line added", "changed files" → "changed file", "commits" → "commit".</summary>
    private static string Singular(string label) =>
        string.Join(' ', label.Split(' ').Select(w => w.Length > 3 && w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal) ? w[..^1] : w));

    public static string AggregationLabel(Aggregation a) => a switch
    {
        Aggregation.Avg => "average",
        Aggregation.Median => "median",
        Aggregation.P90 => "90th percentile",
        Aggregation.Min => "minimum",
        Aggregation.Max => "maximum",
        Aggregation.Sum => "total",
        Aggregation.Count => "count",
        Aggregation.Share => "share",
        Aggregation.RatePerDay => "rate per day",
        _ => "value",
    };

    private static string Short(Aggregation a) => a switch
    {
        Aggregation.Avg => "avg",
        Aggregation.Median => "median",
        Aggregation.P90 => "p90",
        Aggregation.Min => "min",
        Aggregation.Max => "max",
        Aggregation.Sum => "total",
        _ => a.ToString().ToLowerInvariant(),
    };

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>
    /// The "table.column" names an SQL fragment of an entity refers to, through the entity's alias
    /// and its joins' aliases ("pr.changed_files" → "pull_requests.changed_files").
    /// </summary>
    public IReadOnlyList<string> ColumnsOf(EntityKind entity, string sql)
    {
        var e = Entity(entity);
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal) { [e.Alias] = e.Table };
        foreach (var j in e.Joins.Select(j => j.Sql).Concat(e.BaseJoins))
        {
            foreach (Match m in JoinAliasRegex().Matches(j))
            {
                aliases.TryAdd(m.Groups[2].Value, m.Groups[1].Value);
            }
        }
        return ColumnRegex().Matches(sql)
            .Select(m => aliases.TryGetValue(m.Groups[1].Value, out var table) ? $"{table}.{m.Groups[2].Value}" : null)
            .OfType<string>()
            .Distinct()
            .ToList();
    }

    // ---- lexicon ------------------------------------------------------------------------------

    private IEnumerable<LexiconEntry> BuildEntries()
    {
        IEnumerable<LexiconEntry> Each(IEnumerable<string> patterns, Func<string, LexiconEntry> make) =>
            patterns.SelectMany(Lexicon.Alternatives).Distinct(StringComparer.Ordinal).Select(make);

        foreach (var m in Metrics)
        {
            foreach (var x in Each(m.Synonyms, p => new LexiconEntry(ConceptKind.Metric, m.Name, p) { Entity = m.Entity, Label = m.Title }))
            {
                yield return x;
            }
        }
        foreach (var e in Entities)
        {
            foreach (var x in Each(e.Synonyms, p => new LexiconEntry(ConceptKind.Entity, e.Name, p) { Entity = e.Kind, Label = e.Plural }))
            {
                yield return x;
            }
            foreach (var a in e.Attributes)
            {
                foreach (var x in Each(a.Synonyms, p => new LexiconEntry(ConceptKind.Attribute, a.Name, p) { Entity = e.Kind, Label = a.Label }))
                {
                    yield return x;
                }
            }
            foreach (var pr in e.Predicates)
            {
                foreach (var x in Each(pr.Synonyms, p => new LexiconEntry(ConceptKind.Filter, pr.Name, p) { Entity = e.Kind, Label = pr.Label }))
                {
                    yield return x;
                }
            }
            foreach (var ev in e.Events)
            {
                foreach (var x in Each(ev.Synonyms, p => new LexiconEntry(ConceptKind.Event, ev.Name, p) { Entity = e.Kind, Label = ev.Label }))
                {
                    yield return x;
                }
            }
        }
        foreach (var d in Dimensions)
        {
            var only = d.Bindings.Count == 1 && d.Column == "author" ? d.Bindings.Keys.First() : (EntityKind?)null;
            foreach (var x in Each(d.Synonyms, p => new LexiconEntry(ConceptKind.Grouping, d.Column, p) { Dimension = d.Dimension, Entity = only, Label = d.Label }))
            {
                yield return x;
            }
            if (d.Filter is not { } kind)
            {
                continue;
            }
            foreach (var (entity, binding) in d.Bindings)
            {
                foreach (var v in binding.Values)
                {
                    foreach (var x in Each(v.Synonyms, p => new LexiconEntry(ConceptKind.Filter, v.Value, p) { Entity = entity, Filter = kind, Label = $"{d.LabelFor(entity)} {v.Label}" }))
                    {
                        yield return x;
                    }
                }
            }
        }
        foreach (var l in Listings)
        {
            foreach (var x in Each(l.Synonyms, p => new LexiconEntry(ConceptKind.Listing, l.Name, p) { Label = l.Label }))
            {
                yield return x;
            }
        }
        foreach (var w in Words)
        {
            foreach (var x in Each([w.Pattern], p => new LexiconEntry(w.Kind, w.Target, p) { Label = w.Target }))
            {
                yield return x;
            }
        }
        // "who" asks for the person.
        yield return new LexiconEntry(ConceptKind.Grouping, "assignee", "who|whom") { Dimension = Semantic.Dimension.Assignee, Label = "person" };
    }

    // ---- validation ---------------------------------------------------------------------------

    /// <summary>Every inconsistency of the definitions, in words; empty when the layer is sound.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        foreach (var e in Entities)
        {
            var joins = e.Joins.Select(j => j.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var j in e.Joins.Where(j => j.After is not null && !joins.Contains(j.After)))
            {
                problems.Add($"entity {e.Name}: join {j.Name} comes after unknown join {j.After}");
            }
            void Joins(string what, IEnumerable<string> names)
            {
                foreach (var n in names.Where(n => !joins.Contains(n)))
                {
                    problems.Add($"entity {e.Name}: {what} needs unknown join {n}");
                }
            }
            var predicates = e.Predicates.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var a in e.Attributes)
            {
                Joins($"attribute {a.Name}", a.Joins);
                foreach (var r in a.Requires.Where(r => !predicates.Contains(r)))
                {
                    problems.Add($"entity {e.Name}: attribute {a.Name} requires unknown predicate {r}");
                }
                if (a.KnownWhen is { } known && !predicates.Contains(known))
                {
                    problems.Add($"entity {e.Name}: attribute {a.Name} is known when unknown predicate {known}");
                }
            }
            foreach (var p in e.Predicates)
            {
                Joins($"predicate {p.Name}", p.Joins);
            }
            Joins("key", e.KeyJoins);
            foreach (var ev in e.Events)
            {
                if (e.Attribute(ev.TimeAttribute) is not { Type: AttributeType.Timestamp })
                {
                    problems.Add($"entity {e.Name}: event {ev.Name} is timed by {ev.TimeAttribute}, which is not a time attribute");
                }
                foreach (var c in ev.Conditions.Where(c => !predicates.Contains(c)))
                {
                    problems.Add($"entity {e.Name}: event {ev.Name} has unknown condition {c}");
                }
            }
            if (e.Attribute(e.DefaultTime) is not { Type: AttributeType.Timestamp })
            {
                problems.Add($"entity {e.Name}: default time {e.DefaultTime} is not a time attribute");
            }
            foreach (var d in Dimensions.Where(d => d.Bindings.ContainsKey(e.Kind)))
            {
                Joins($"dimension {d.Column}", d.Bindings[e.Kind].Joins);
            }
        }
        foreach (var m in Metrics)
        {
            if (!IdentifierRegex().IsMatch(m.Name))
            {
                problems.Add($"metric {m.Name}: the name must be a lower-case SQL identifier (it is the value column)");
            }
            if (!_entities.TryGetValue(m.Entity, out var e))
            {
                problems.Add($"metric {m.Name}: unknown entity {m.Entity}");
                continue;
            }
            if (m.Attribute is { } a && e.Attribute(a) is null)
            {
                problems.Add($"metric {m.Name}: {e.Name} has no attribute {a}");
            }
            if (m.Aggregation is Aggregation.Sum or Aggregation.Avg or Aggregation.Median or Aggregation.P90 or Aggregation.Min or Aggregation.Max or Aggregation.Value
                && m.Attribute is null)
            {
                problems.Add($"metric {m.Name}: {m.Aggregation} needs an attribute");
            }
            if (m.Aggregation == Aggregation.Share && (m.ShareOf is null || e.Predicate(m.ShareOf) is null))
            {
                problems.Add($"metric {m.Name}: a share needs a known predicate of {e.Name} (ShareOf)");
            }
            if (m.Aggregation == Aggregation.Custom && (m.Custom is null || m.Custom.Columns.All(c => c.Column != m.Name)))
            {
                problems.Add($"metric {m.Name}: a custom measure needs a column named {m.Name}");
            }
            foreach (var c in m.Conditions.Where(c => e.Predicate(c) is null))
            {
                problems.Add($"metric {m.Name}: {e.Name} has no predicate {c}");
            }
            if (e.Attribute(m.TimeAttribute) is not { Type: AttributeType.Timestamp })
            {
                problems.Add($"metric {m.Name}: time attribute {m.TimeAttribute} is not a time attribute of {e.Name}");
            }
            foreach (var f in m.Defaults)
            {
                var d = Dimensions.FirstOrDefault(x => x.Filter == f.Kind && x.Bindings.ContainsKey(m.Entity));
                if (d is null || d.Bindings[m.Entity].Values.All(v => v.Value != f.Value))
                {
                    problems.Add($"metric {m.Name}: default {f.Kind} = {f.Value} is not a value {e.Name} has");
                }
            }
            if (m.Examples.Count == 0)
            {
                problems.Add($"metric {m.Name}: no example question (the catalog endpoint recommends them)");
            }
            foreach (var d in m.OnlyDimensions ?? [])
            {
                if (!Dimensions.Any(x => x.Dimension == d))
                {
                    problems.Add($"metric {m.Name}: unknown dimension {d}");
                }
            }
        }
        foreach (var l in Listings)
        {
            foreach (var (kind, attr) in l.Attributes)
            {
                if (!_entities.TryGetValue(kind, out var e) || e.Attribute(attr) is null)
                {
                    problems.Add($"listing {l.Name}: {kind} has no attribute {attr}");
                }
            }
        }
        var patterns = Metrics.SelectMany(m => m.Synonyms)
            .Concat(Entities.SelectMany(e => e.Synonyms.Concat(e.Attributes.SelectMany(a => a.Synonyms)).Concat(e.Predicates.SelectMany(p => p.Synonyms)).Concat(e.Events.SelectMany(v => v.Synonyms))))
            .Concat(Dimensions.SelectMany(d => d.Synonyms.Concat(d.Bindings.Values.SelectMany(b => b.Values.SelectMany(v => v.Synonyms)))))
            .Concat(Listings.SelectMany(l => l.Synonyms))
            .Concat(Words.Select(w => w.Pattern));
        foreach (var p in patterns.SelectMany(Lexicon.Alternatives).Distinct(StringComparer.Ordinal))
        {
            try
            {
                var r = Lexicon.Wrap(p);
                if (r.IsMatch(""))
                {
                    problems.Add($"synonym '{p}' matches the empty string");
                }
            }
            catch (ArgumentException ex)
            {
                problems.Add($"synonym '{p}' is not a valid pattern: {ex.Message}");
            }
            if (p != p.ToLowerInvariant())
            {
                problems.Add($"synonym '{p}' must be lower-case (questions are matched lower-cased)");
            }
        }
        return problems;
    }

    [GeneratedRegex(@"^[a-z_][a-z0-9_]*$")]
    private static partial Regex IdentifierRegex();

    [GeneratedRegex(@"\bJOIN\s+(\w+)\s+(\w+)\s+ON\b", RegexOptions.IgnoreCase)]
    private static partial Regex JoinAliasRegex();

    [GeneratedRegex(@"\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b")]
    private static partial Regex ColumnRegex();

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The definitions are inconsistent; the message lists every problem.</summary>
public sealed class SemanticModelException(IReadOnlyList<string> problems)
    : Exception("The semantic layer's definitions are inconsistent:\n- " + string.Join("\n- ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>A measure's signature; for a derived measure also its persisted key ("derived/…").</summary>
internal sealed record DerivedSpec(EntityKind Entity, Aggregation Aggregation, string? Attribute, string? ShareOf, string TimeAttribute, IReadOnlyList<string> Conditions)
{
    private const string Prefix = "derived/";

    public bool Matches(MetricDef m, SemanticModel model) =>
        m.Entity == Entity && m.Aggregation == Aggregation && m.Attribute == Attribute && m.ShareOf == ShareOf
        && m.TimeAttribute == TimeAttribute && m.Custom is null && m.DefaultDimension == Dimension.None
        && m.Conditions.Order(StringComparer.Ordinal).SequenceEqual(Conditions);

    public bool IsValidFor(EntityDef e) =>
        (Attribute is null || e.Attribute(Attribute) is not null)
        // A ratio of two attributes keeps its divisor where a share keeps its predicate.
        && (ShareOf is null || (Aggregation == Aggregation.Ratio ? e.Attribute(ShareOf) is { Type: AttributeType.Number } : e.Predicate(ShareOf) is not null))
        && e.Attribute(TimeAttribute) is { Type: AttributeType.Timestamp }
        && Conditions.All(c => e.Predicate(c) is not null)
        && Aggregation switch
        {
            Aggregation.Count => Attribute is null && ShareOf is null,
            Aggregation.Share => Attribute is null,
            Aggregation.RatePerDay => Attribute is null && ShareOf is null,
            Aggregation.Ratio => (Attribute is null) == (ShareOf is null) && (Attribute is null || Attribute != ShareOf && e.Attribute(Attribute) is { Type: AttributeType.Number }),
            Aggregation.Custom => false,
            _ => Attribute is not null,
        };

    public override string ToString() =>
        $"{Prefix}{Entity}/{Aggregation}/{Attribute ?? "-"}/{ShareOf ?? "-"}/{TimeAttribute}/{string.Join('+', Conditions)}";

    public static bool TryParse(string key, out DerivedSpec spec)
    {
        spec = null!;
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = key[Prefix.Length..].Split('/');
        if (parts.Length != 6 || !Enum.TryParse<EntityKind>(parts[0], out var entity) || !Enum.TryParse<Aggregation>(parts[1], out var aggregation))
        {
            return false;
        }
        spec = new DerivedSpec(entity, aggregation, parts[2] == "-" ? null : parts[2], parts[3] == "-" ? null : parts[3], parts[4],
            parts[5].Length == 0 ? [] : parts[5].Split('+'));
        return true;
    }
}
