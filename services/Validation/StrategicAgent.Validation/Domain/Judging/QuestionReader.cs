using System.Globalization;
using System.Text.RegularExpressions;
using StrategicAgent.Semantic;

namespace StrategicAgent.Validation.Domain.Judging;

/// <summary>
/// The judge's own reading of a question, through the semantic layer's lexicon (phrases → concepts) and
/// the tenant's names — independent of the planner's parse. It lists what the SQL must express: the rows
/// (entity), every condition (predicates, dimension values, names, numeric thresholds), the measure, each
/// grouping, the period and the ordering/row count; and which other conditions the definitions of what
/// was named allow (a metric's own conditions, an entity's active rows).
/// </summary>
public sealed partial class QuestionReader(ConceptSql sql)
{
    private static readonly Dictionary<string, int> NumberWords = new(StringComparer.Ordinal)
    {
        ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7, ["eight"] = 8, ["nine"] = 9,
        ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["fifteen"] = 15, ["twenty"] = 20, ["fifty"] = 50, ["hundred"] = 100,
    };

    /// <summary>Measure words, strongest first: "what share … on average" is a share.</summary>
    private static readonly string[] MeasureRank = ["share", "p90", "median", "avg", "max", "min", "sum", "total", "count", "duration", "frequency"];

    private SemanticModel Model => sql.Model;

    public QuestionReading Read(string question, DateOnly today, TenantNames names)
    {
        var text = Lexicon.Normalize(question);
        var tokens = Lexicon.Tokenize(text);
        var hits = Outermost(Model.Lexicon.Scan(question, today));
        var concepts = new List<Concept>();
        var allowed = new List<SqlCondition>();
        var mentioned = new List<string>();

        var metricHit = hits.FirstOrDefault(h => h.Entry.Kind == ConceptKind.Metric && Model.TryGetMetric(h.Entry.Target, out _));
        MetricDef? metric = metricHit is not null && Model.TryGetMetric(metricHit.Entry.Target, out var m) ? m : null;
        var entity = metric?.Entity ?? EntityOf(hits, text, names);
        var entityDef = entity is { } ek ? Model.Entity(ek) : null;
        if (entityDef is not null)
        {
            concepts.Add(new EntityConcept(entityDef.Plural, entityDef.Table));
        }

        // Names of the tenant: conditions on name columns.
        var consumed = new List<(int Start, int End)>();
        var nameSpans = new List<(int Start, int End, Dimension Dimension)>();
        foreach (var (label, column, value, start, end) in Names(question, text, names, entity))
        {
            if (hits.Any(h => h.Entry.Kind is ConceptKind.Attribute or ConceptKind.Metric or ConceptKind.Listing && h.Start < end && start < h.End))
            {
                continue;
            }
            mentioned.Add(value);
            consumed.Add((start, end));
            nameSpans.Add((start, end, column switch
            {
                "teams.name" => Dimension.Team,
                "projects.key" => Dimension.Project,
                "repositories.name" => Dimension.Repository,
                "users.name" => Dimension.Assignee,
                _ => Dimension.IssueType,
            }));
            if (entity == EntityKind.Epic && column == "issuetypes.original_name" && value.Equals("Epic", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            concepts.Add(new FilterConcept(label, [[Equal(column, value)]]));
        }

        // Numeric thresholds: "more than 30 files", "at least 5 commits", "between 3 and 10 files".
        var thresholdAttributes = new HashSet<LexiconHit>();
        if (entity is { } te)
        {
            foreach (var t in Thresholds(hits, tokens, te))
            {
                concepts.Add(t.Concept);
                thresholdAttributes.Add(t.Attribute);
                consumed.AddRange(t.Numbers);
            }
        }

        // Predicates and dimension values of the entity.
        var timeColumns = new List<string>();
        foreach (var h in hits.Where(h => h.Entry.Kind == ConceptKind.Filter && (entity is null || h.Entry.Entity == entity)))
        {
            IReadOnlyList<SqlCondition> form = h.Entry.Filter is { } kind
                ? sql.Value(h.Entry.Entity!.Value, Model.DimensionOf(kind).Dimension, h.Entry.Target)
                : sql.Predicate(h.Entry.Entity!.Value, h.Entry.Target);
            if (form.Count == 0)
            {
                continue;
            }
            var forms = new List<IReadOnlyList<SqlCondition>> { form };
            forms.AddRange(EquivalentForms(h.Entry.Entity!.Value, h.Entry.Target));
            concepts.Add(new FilterConcept($"'{h.Text}' ({h.Entry.Label})", forms));
            allowed.AddRange(forms.SelectMany(f => f));
        }

        // Events pick the time column ("merged last month" → merged_at) and bring their conditions.
        if (entity is { } ev)
        {
            foreach (var h in hits.Where(h => h.Entry.Kind == ConceptKind.Event && h.Entry.Entity == ev))
            {
                if (Model.Entity(ev).Event(h.Entry.Target) is { } e)
                {
                    timeColumns.AddRange(sql.TimeColumn(ev, e.TimeAttribute));
                    allowed.AddRange(e.Conditions.SelectMany(c => sql.Predicate(ev, c)));
                }
            }
            if (ev is EntityKind.Issue or EntityKind.Epic && StartedRegex().IsMatch(text))
            {
                timeColumns.AddRange(sql.TimeColumn(ev, "started"));
            }
        }

        // The measure.
        var measured = hits.Where(h => h.Entry.Kind == ConceptKind.Attribute && h.Entry.Entity == entity && !thresholdAttributes.Contains(h)).ToList();
        var groupedAttributes = measured.Where(h => CueBefore(hits, h, tokens)).ToList();
        measured = measured.Except(groupedAttributes).ToList();
        if (Measure(hits, text, metric, metricHit, entity, measured) is { } measure)
        {
            concepts.Add(measure);
        }
        if (metric is not null)
        {
            allowed.AddRange(metric.Conditions.SelectMany(c => sql.Predicate(metric.Entity, c)));
            if (metric.ShareOf is { } share)
            {
                allowed.AddRange(sql.Predicate(metric.Entity, share));
            }
            allowed.AddRange(metric.Defaults.SelectMany(d => sql.Value(metric.Entity, Model.DimensionOf(d.Kind).Dimension, d.Value)));
            if (metric.Attribute is { } a && Model.Entity(metric.Entity).Attribute(a) is { } ad)
            {
                allowed.AddRange(ad.Requires.SelectMany(r => sql.Predicate(metric.Entity, r)));
            }
        }
        else if (entity is { } ce && Model.Metrics.FirstOrDefault(x => x.Entity == ce && x.Aggregation == Aggregation.Count && x.Conditions.Count == 0 && !x.Derived) is { } plain)
        {
            // A plain count of the entity reads as its catalogued count: its assumed values are allowed.
            allowed.AddRange(plain.Defaults.SelectMany(d => sql.Value(ce, Model.DimensionOf(d.Kind).Dimension, d.Value)));
        }
        foreach (var h in measured)
        {
            if (Model.Entity(h.Entry.Entity!.Value).Attribute(h.Entry.Target) is { } ad)
            {
                allowed.AddRange(ad.Requires.SelectMany(r => sql.Predicate(h.Entry.Entity!.Value, r)));
            }
        }

        // Groupings.
        var allowedKeys = new List<string>();
        if (entity is { } ge)
        {
            allowedKeys.AddRange(sql.KeyColumns(ge));
            foreach (var g in Groupings(hits, tokens, text, ge, nameSpans, metric))
            {
                concepts.Add(g);
                allowedKeys.AddRange(g.Keys);
            }
            foreach (var a in groupedAttributes)
            {
                var keys = sql.AttributeColumns(ge, a.Entry.Target);
                concepts.Add(new GroupingConcept($"per '{a.Text}'", keys, null, false));
                allowedKeys.AddRange(keys);
            }
            if (metric is { DefaultDimension: var dd and not Dimension.None })
            {
                allowedKeys.AddRange(sql.DimensionColumns(ge, dd));
            }
            if (metric?.Custom is { } custom)
            {
                allowedKeys.AddRange(custom.GroupBy.SelectMany(g => sql.ExpressionColumns(metric.Entity, g)));
            }
        }

        // The period.
        if (entity is { } we)
        {
            if (timeColumns.Count == 0)
            {
                timeColumns.AddRange(metric is not null ? sql.TimeColumn(metric.Entity, metric.TimeAttribute) : []);
                timeColumns.AddRange(sql.TimeColumns(we));
            }
            foreach (var w in hits.Where(h => h.Entry.Kind == ConceptKind.Window && h.Window is not null))
            {
                concepts.Add(new WindowConcept(w.Entry.Label, w.Window!.From.UtcDateTime, w.Window.To.UtcDateTime, timeColumns.Distinct().ToList()));
                consumed.Add((w.Start, w.End));
            }
        }

        // Ordering and row count.
        var orders = hits.Where(h => h.Entry.Kind is ConceptKind.Order or ConceptKind.Listing
            && !(h.Entry.Kind == ConceptKind.Order && h.Text is "max" or "maximum" or "min" or "minimum")).ToList();
        if (orders.Count > 0)
        {
            var limit = RowCount(tokens, consumed, hits);
            var listing = orders.Any(o => o.Entry.Kind == ConceptKind.Listing) || (limit is not null && !concepts.OfType<GroupingConcept>().Any());
            var directions = orders.Where(o => o.Entry.Kind == ConceptKind.Order).Select(o => o.Entry.Target switch
            {
                "desc" or "top" => "desc",
                "asc" or "bottom" => "asc",
                _ => null,
            }).Where(d => d is not null).Distinct().ToList();
            concepts.Add(new OrderConcept(string.Join(", ", orders.Select(o => $"'{o.Text}'")) + (limit is { } n ? $" (top {n})" : ""), limit, listing,
                directions.Count == 1 ? directions[0] : null));
        }

        // What every query of the named rows may carry.
        foreach (var kind in Model.Entities.Select(e => e.Kind))
        {
            if (kind != EntityKind.Epic || entity == EntityKind.Epic)
            {
                allowed.AddRange(sql.BaseConditions(kind).Where(c => kind == entity || c.Operator == "is true"));
            }
        }
        return new QuestionReading(concepts, entity, metric, allowed, timeColumns.Distinct().ToList(), mentioned, allowedKeys.Distinct().ToList(), metric?.DefaultWindowDays);
    }

    /// <summary>Hits not strictly inside a longer one ("failure" inside "change failure rate" is the metric's word).</summary>
    private static List<LexiconHit> Outermost(IReadOnlyList<LexiconHit> hits) =>
        hits.Where(h => !hits.Any(o => o.Length > h.Length && o.Start <= h.Start && o.End >= h.End)).ToList();

    private EntityKind? EntityOf(List<LexiconHit> hits, string text, TenantNames names)
    {
        var first = hits.Where(h => h.Entry.Kind == ConceptKind.Entity && h.Entry.Entity is not null).OrderBy(h => h.Start).FirstOrDefault();
        if (first is not null)
        {
            return first.Entry.Entity;
        }
        if (names.IssueTypes.Any(t => WordForms(t).Any(f => Regex.IsMatch(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(f)}(?![\p{{L}}\p{{N}}])"))))
        {
            return EntityKind.Issue;
        }
        return hits.FirstOrDefault(h => h.Entry.Kind is ConceptKind.Attribute or ConceptKind.Listing or ConceptKind.Filter && h.Entry.Entity is not null)?.Entry.Entity;
    }

    /// <summary>Other spellings of a predicate: a PR that is "merged" may be tested by its status.</summary>
    private IEnumerable<IReadOnlyList<SqlCondition>> EquivalentForms(EntityKind entity, string predicate)
    {
        var status = (entity, predicate) switch
        {
            (EntityKind.PullRequest, "merged") => "merged",
            (EntityKind.PullRequest, "open") => "open",
            (EntityKind.PullRequest, "closed_unmerged") => "closed",
            (EntityKind.Deployment, "successful") => "success",
            (EntityKind.Issue or EntityKind.Epic, "done") => "Done",
            (EntityKind.Issue or EntityKind.Epic, "in_progress") => "In Progress",
            (EntityKind.Issue or EntityKind.Epic, "to_do") => "To Do",
            _ => null,
        };
        if (status is not null && sql.Value(entity, Dimension.Status, status) is { Count: > 0 } form)
        {
            yield return form;
        }
    }

    private static IEnumerable<string> WordForms(string name)
    {
        var lower = name.ToLowerInvariant();
        yield return lower;
        yield return lower.EndsWith('y') ? lower[..^1] + "ies" : lower + "s";
        if (lower.Contains('-'))
        {
            yield return lower.Replace("-", "", StringComparison.Ordinal);
            yield return lower.Replace("-", "", StringComparison.Ordinal) + "s";
            yield return lower.Replace('-', ' ');
            yield return lower.Replace('-', ' ') + "s";
        }
    }

    /// <summary>The tenant's names the question uses, with the column each filters and where it stands in the text.</summary>
    private static IEnumerable<(string Label, string Column, string Value, int Start, int End)> Names(
        string question, string text, TenantNames names, EntityKind? entity)
    {
        foreach (var team in names.Teams)
        {
            foreach (Match m in Regex.Matches(text, $@"(?<![\p{{L}}\p{{N}}-]){Regex.Escape(team.ToLowerInvariant())}(?![\p{{L}}\p{{N}}])"))
            {
                var before = text[..m.Index].TrimEnd();
                var after = text[(m.Index + m.Length)..].TrimStart();
                var capitalised = question.Contains(team, StringComparison.Ordinal) && team.Any(char.IsUpper);
                if (before.EndsWith("team", StringComparison.Ordinal) || after.StartsWith("team", StringComparison.Ordinal) || after.StartsWith("squad", StringComparison.Ordinal) || capitalised)
                {
                    yield return ($"team {team}", "teams.name", team, m.Index, m.Index + m.Length);
                    break;
                }
            }
        }
        foreach (var key in names.Projects)
        {
            var upper = Regex.Match(question, $@"(?<![\p{{L}}\p{{N}}-]){Regex.Escape(key)}(?![\p{{L}}\p{{N}}]|-\d)");
            var named = Regex.Match(text, $@"\bprojects?\s+{Regex.Escape(key.ToLowerInvariant())}(?![\p{{L}}\p{{N}}]|-\d)");
            if (upper.Success && key.Any(char.IsUpper) || named.Success)
            {
                var at = named.Success ? named : Regex.Match(text, Regex.Escape(key.ToLowerInvariant()));
                yield return ($"project {key}", "projects.key", key, at.Index, at.Index + at.Length);
            }
        }
        foreach (var repo in names.Repositories)
        {
            var m = Regex.Match(text, $@"(?<![\p{{L}}\p{{N}}-]){Regex.Escape(repo.ToLowerInvariant())}(?![\p{{L}}\p{{N}}-])");
            if (m.Success)
            {
                yield return ($"repository {repo}", "repositories.name", repo, m.Index, m.Index + m.Length);
            }
        }
        foreach (var person in names.People)
        {
            var m = Regex.Match(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(person.ToLowerInvariant())}(?![\p{{L}}\p{{N}}])");
            if (m.Success && person.Contains(' ', StringComparison.Ordinal))
            {
                yield return ($"person {person}", "users.name", person, m.Index, m.Index + m.Length);
            }
        }
        if (entity is EntityKind.Issue or EntityKind.Epic or null)
        {
            foreach (var type in names.IssueTypes)
            {
                foreach (var form in WordForms(type))
                {
                    var m = Regex.Match(text, $@"(?<![\p{{L}}\p{{N}}-]){Regex.Escape(form)}(?![\p{{L}}\p{{N}}-])");
                    if (m.Success)
                    {
                        yield return ($"issue type {type} ('{m.Value}')", "issuetypes.original_name", type, m.Index, m.Index + m.Length);
                        break;
                    }
                }
            }
        }
    }

    private static SqlCondition Equal(string column, string value) =>
        new() { Operator = "=", Columns = [column], Constants = [value.ToLowerInvariant()] };

    private sealed record Threshold(FilterConcept Concept, LexiconHit Attribute, List<(int Start, int End)> Numbers);

    /// <summary>Comparator + number + an attribute of the entity nearby: "over 30 files", "5 or more commits", "between 3 and 10 files".</summary>
    private IEnumerable<Threshold> Thresholds(List<LexiconHit> hits, IReadOnlyList<Token> tokens, EntityKind entity)
    {
        var attributes = hits.Where(h => h.Entry.Kind == ConceptKind.Attribute && h.Entry.Entity == entity).ToList();
        foreach (var c in hits.Where(h => h.Entry.Kind == ConceptKind.Comparator))
        {
            if (!Enum.TryParse<Comparison>(c.Entry.Target, out var comparison))
            {
                continue;
            }
            var after = tokens.Where(t => t.Start >= c.End).Take(4).ToList();
            var before = tokens.Where(t => t.End <= c.Start).TakeLast(1).ToList();
            var numbers = new List<(Token Token, double Value)>();
            foreach (var t in comparison == Comparison.AtLeast && c.Text is "or more" or "+" or "plus" ? before : after)
            {
                if (Number(t.Text) is { } n)
                {
                    numbers.Add((t, n));
                    if (comparison != Comparison.Between || numbers.Count == 2)
                    {
                        break;
                    }
                }
                else if (t.Text is not ("than" or "and" or "to" or "of") && numbers.Count == 0 && comparison != Comparison.Between)
                {
                    break;
                }
            }
            if (numbers.Count == 0 || comparison == Comparison.Between && numbers.Count < 2)
            {
                continue;
            }
            var last = numbers[^1].Token;
            var attribute = attributes.Where(a => a.Start >= last.End && a.Start - last.End <= 20).OrderBy(a => a.Start).FirstOrDefault()
                            ?? attributes.Where(a => a.End <= c.Start && c.Start - a.End <= 12).OrderByDescending(a => a.End).FirstOrDefault();
            if (attribute is null)
            {
                continue;
            }
            var columns = sql.AttributeColumns(entity, attribute.Entry.Target);
            if (columns.Count == 0)
            {
                continue;
            }
            var value = numbers[0].Value;
            string N(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
            SqlCondition Cmp(string op, double v) => new() { Operator = op, Columns = columns, Constants = [N(v)] };
            IReadOnlyList<IReadOnlyList<SqlCondition>> forms = comparison switch
            {
                Comparison.GreaterThan => [[Cmp(">", value)], [Cmp(">=", value + 1)]],
                Comparison.AtLeast => [[Cmp(">=", value)], [Cmp(">", value - 1)]],
                Comparison.LessThan => [[Cmp("<", value)], [Cmp("<=", value - 1)]],
                Comparison.AtMost => [[Cmp("<=", value)], [Cmp("<", value + 1)]],
                Comparison.Equal => [[Cmp("=", value)]],
                _ => [[new SqlCondition { Operator = "between", Columns = columns, Constants = [N(numbers[0].Value), N(numbers[1].Value)] }],
                      [Cmp(">=", numbers[0].Value), Cmp("<=", numbers[1].Value)]],
            };
            var label = $"'{c.Text} {string.Join(" and ", numbers.Select(x => x.Token.Text))} {attribute.Text}'";
            yield return new Threshold(new FilterConcept(label, forms), attribute, [(c.Start, c.End), .. numbers.Select(x => (x.Token.Start, x.Token.End))]);
        }
    }

    private static double? Number(string token) =>
        double.TryParse(token, NumberStyles.Integer | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) ? v
        : NumberWords.TryGetValue(token, out var w) ? w : null;

    /// <summary>The measure: an explicit word (average, median, share …) over the attribute it names, else the metric's own.</summary>
    private MeasureConcept? Measure(List<LexiconHit> hits, string text, MetricDef? metric, LexiconHit? metricHit, EntityKind? entity, List<LexiconHit> measured)
    {
        var words = hits.Where(h => h.Entry.Kind == ConceptKind.Measure).ToList();
        var word = words.OrderBy(h => Array.IndexOf(MeasureRank, h.Entry.Target) is var i and >= 0 ? i : 99).FirstOrDefault();
        var attribute = measured.FirstOrDefault();
        var columns = attribute is not null && entity is { } e ? sql.AttributeColumns(e, attribute.Entry.Target)
            : metric?.Attribute is { } ma ? sql.AttributeColumns(metric.Entity, ma) : [];
        var meanAbbreviation = metricHit is not null && (metricHit.Text.Contains("mean", StringComparison.Ordinal) || metricHit.Text.StartsWith("mttr", StringComparison.Ordinal));
        HashSet<string>? aggregates = word?.Entry.Target switch
        {
            "avg" or "median" or "p90" or "max" or "min" or "sum" => [word.Entry.Target],
            "total" => attribute is not null ? ["sum"] : ["count", "sum"],
            "count" => attribute is not null && metric is null ? ["sum"] : metric is not null ? null : ["count"],
            "share" => ["share"],
            "frequency" => ["share", "count"],
            "duration" => ["avg", "median"],
            _ => null,
        };
        if (word?.Entry.Target == "duration" && columns.Count == 0 && entity is { } de && Model.Listings.FirstOrDefault(l => l.Name == "slowest") is { } slow
            && slow.Attributes.TryGetValue(de, out var durationAttribute))
        {
            columns = sql.AttributeColumns(de, durationAttribute);
        }
        if (aggregates is null && attribute is null && metric is null && PerEntityRegex().IsMatch(text))
        {
            aggregates = ["share"];
        }
        if (meanAbbreviation && word is null)
        {
            aggregates = ["avg", "median"];
        }
        aggregates ??= metric?.Aggregation switch
        {
            Aggregation.Count => ["count"],
            Aggregation.Sum => ["sum"],
            Aggregation.Avg or Aggregation.Median => ["avg", "median"],
            Aggregation.P90 => ["p90"],
            Aggregation.Min => ["min"],
            Aggregation.Max => ["max"],
            Aggregation.Share or Aggregation.Custom => ["share"],
            Aggregation.RatePerDay => ["share", "count"],
            _ => null,
        };
        if (aggregates is null)
        {
            return null;
        }
        var label = string.Join(" ", new[] { word?.Text, metricHit?.Text ?? attribute?.Text }.Where(s => s is not null));
        return new MeasureConcept(label.Length == 0 ? string.Join("/", aggregates) : $"'{label}'", aggregates, aggregates.Overlaps(["share", "count"]) && word?.Entry.Target != "count" ? [] : columns);
    }

    /// <summary>Grouping nouns after a cue ("by team", "per repo", "each month"), after which/what/who, or a time adjective (weekly).</summary>
    private IEnumerable<GroupingConcept> Groupings(List<LexiconHit> hits, IReadOnlyList<Token> tokens, string text, EntityKind entity,
        List<(int Start, int End, Dimension Dimension)> names, MetricDef? metric)
    {
        var rate = hits.Any(h => h.Entry.Kind == ConceptKind.Measure && h.Entry.Target is "avg" or "frequency") || text.Contains("on average", StringComparison.Ordinal);
        var seen = new HashSet<Dimension>();
        foreach (var h in hits.Where(h => h.Entry.Kind == ConceptKind.Grouping && h.Entry.Dimension is not null))
        {
            var d = h.Entry.Dimension!.Value;
            // "team Platform", "the Mobile team", "project PAY": a filter by name, not a grouping.
            if (names.Any(n => n.Dimension == d && n.Start < h.End + 12 && h.Start < n.End + 12) || !seen.Add(d))
            {
                continue;
            }
            if (hits.Any(o => o != h && o.Entry.Kind == ConceptKind.Entity && o.Start == h.Start && o.Length == h.Length) && !CueBefore(hits, h, tokens))
            {
                continue;
            }
            var def = Model.Dimension(d);
            if (def.IsTime)
            {
                var explicitGrain = !Regex.IsMatch(h.Text, @"^(week|weeks|month|months|quarter|quarters)$") || CueBefore(hits, h, tokens);
                if (explicitGrain)
                {
                    yield return new GroupingConcept($"'{h.Text}'", [], def.TimeGrain, rate || metric?.Aggregation == Aggregation.RatePerDay);
                }
                continue;
            }
            var asked = h.Text is "who" or "whom" || CueBefore(hits, h, tokens) || WhichBefore(text, h);
            if (!asked)
            {
                seen.Remove(d);
                continue;
            }
            var keys = Model.Binding(d, entity) is not null ? sql.DimensionColumns(entity, d).Concat(AlternateKeys(d)).ToList() : sql.KeyColumns(entity).ToList();
            yield return new GroupingConcept($"'{h.Text}'", keys, null, false);
        }
        if (seen.All(d => !Model.Dimension(d).IsTime) && hits.Any(h => h.Entry.Kind == ConceptKind.GroupingCue && h.Entry.Target == "trend"))
        {
            yield return new GroupingConcept("a trend over time", [], "any", false);
        }
    }

    private static IEnumerable<string> AlternateKeys(Dimension d) => d switch
    {
        Dimension.Team => ["teams.id", "projects.team_id", "repositories.team_id", "users.team_id"],
        Dimension.Project => ["projects.name", "projects.id", "issues.project_id"],
        Dimension.Repository => ["repositories.full_name", "repositories.id", "pull_requests.repository_id", "deployments.repository_id"],
        Dimension.Assignee => ["users.id", "users.email", "issues.assignee_id", "pull_requests.author_id"],
        Dimension.IssueType => ["issues.issuetype_id", "issuetypes.id"],
        Dimension.Status => ["statuses.original_name", "issues.status_id", "status_mappings.status_to", "pull_requests.status", "deployments.status"],
        _ => [],
    };

    /// <summary>A grouping cue ("by", "per", "each", "across") in the three words before the hit.</summary>
    private static bool CueBefore(List<LexiconHit> hits, LexiconHit h, IReadOnlyList<Token> tokens)
    {
        var window = tokens.Where(t => t.End <= h.Start).TakeLast(3).ToList();
        var from = window.Count > 0 ? window[0].Start : h.Start;
        return hits.Any(c => c.Entry.Kind == ConceptKind.GroupingCue && c.Entry.Target == "by" && c.Start >= from && c.End <= h.Start);
    }

    private static bool WhichBefore(string text, LexiconHit h) =>
        Regex.IsMatch(text[..h.Start], @"\b(which|what)\s+(?:\w+\s+){0,1}$");

    /// <summary>The row count of a listing: a number not used by a window, a name or a threshold ("top 5", "the ten slowest").</summary>
    private static int? RowCount(IReadOnlyList<Token> tokens, List<(int Start, int End)> consumed, List<LexiconHit> hits)
    {
        foreach (var t in tokens)
        {
            if (consumed.Any(c => t.Start < c.End && c.Start < t.End) || hits.Any(h => h.Entry.Kind == ConceptKind.Window && t.Start < h.End && h.Start < t.End))
            {
                continue;
            }
            if (Number(t.Text) is { } n && n is >= 1 and <= 1000 && n == Math.Floor(n))
            {
                return (int)n;
            }
        }
        return null;
    }

    [GeneratedRegex(@"\b(?:bugs|stories|tasks|issues|tickets|epics|prs|pull requests|deployments|deploys|incidents) (?:per|for every|for each) (?:story|bug|task|issue|ticket|epic|pr|pull request|deployment|deploy|incident)\b")]
    private static partial Regex PerEntityRegex();

    [GeneratedRegex(@"\b(?:started|begun|began|kicked off)\b")]
    private static partial Regex StartedRegex();
}
