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
    private static readonly string[] MeasureRank = ["share", "ratio", "p90", "median", "avg", "max", "min", "sum", "total", "count", "duration", "frequency"];

    private SemanticModel Model => sql.Model;

    public QuestionReading Read(string question, DateOnly today, TenantNames names)
    {
        question = JudgeWords.Digits(question);
        // "…, counting unknown as not over 10": a share of a threshold over every row, the unknown ones outside it. Its words (the
        // threshold said again) are no concept of their own: blanked, positions kept.
        var unknownOutside = false;
        if (Words.CountingUnknownAsOutside().Match(question.ToLowerInvariant()) is { Success: true } counting && question.Length == question.ToLowerInvariant().Length)
        {
            unknownOutside = true;
            question = string.Concat(question.AsSpan(0, counting.Index), new string(' ', counting.Length), question.AsSpan(counting.Index + counting.Length));
        }
        // "bugs-to-stories ratio": the values on either side of "-to-" are words of their own (same length, positions kept).
        var text = WordToWordRegex().Replace(Lexicon.Normalize(question), " to ");
        var tokens = Lexicon.Tokenize(text);
        var all = JudgeWords.Adjust(Model.Lexicon.Scan(question, today).ToList(), text, today);
        var hits = Outermost(all);
        var concepts = new List<Concept>();
        var allowed = new List<SqlCondition>();
        var mentioned = new List<string>();

        // A metric of other rows than the ones named ("time to resolve incidents" is not the issues' lead time) is not the metric asked.
        var namedEntity = hits.Where(h => h.Entry.Kind == ConceptKind.Entity && h.Entry.Entity is not null).OrderBy(h => h.Start).FirstOrDefault()?.Entry.Entity;
        var metricHits = hits.Where(h => h.Entry.Kind == ConceptKind.Metric && Model.TryGetMetric(h.Entry.Target, out _)).ToList();
        var metricHit = namedEntity is { } ne0
            ? metricHits.FirstOrDefault(h => Model.Metric(h.Entry.Target).Entity is var me && (me == ne0 || me == EntityKind.Epic && ne0 == EntityKind.Issue || me == EntityKind.Issue && ne0 == EntityKind.Epic))
            : metricHits.FirstOrDefault();
        MetricDef? metric = metricHit is not null && Model.TryGetMetric(metricHit.Entry.Target, out var m) ? m : null;
        var entity = metric?.Entity ?? EntityOf(all, text, names);
        var entityDef = entity is { } ek ? Model.Entity(ek) : null;
        if (entity is not EntityKind.Epic && all.Any(IsEpicPoints))
        {
            // An epic's points are its child issues' ("open story points"): in a question about other rows the words are the issues'
            // own, read from the shorter phrases inside (the open state, the story points), as the agent's reader reads them.
            all = all.Where(h => !IsEpicPoints(h)).ToList();
            hits = Outermost(all);
        }
        if (entityDef is not null)
        {
            concepts.Add(new EntityConcept(entityDef.Plural, entityDef.Table));
            if (entity == EntityKind.Epic)
            {
                // An epic is an issue of type Epic: that condition is the entity itself.
                concepts.Add(new FilterConcept("epics (issue type Epic)", [sql.BaseConditions(EntityKind.Epic).Where(c => c.Operator != "is true").ToList()]));
            }
        }

        // Names of the tenant: conditions on name columns.
        var consumed = new List<(int Start, int End)>();
        var nameSpans = new List<(int Start, int End, Dimension Dimension)>();
        foreach (var (label, column, value, start, end) in Names(question, text, names, entity, hits))
        {
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
            // "What share of stories completed this year had no story points?": the type right after "share of" is the population the
            // share is taken of — its condition picks the rows, it is not the numerator.
            concepts.Add(new FilterConcept(label, [[Equal(column, value)]]) { Population = column == "issuetypes.original_name" && ShareOf().IsMatch(text[..start]) });
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
        var filterSpans = new List<(int Start, int End, string Key)>();
        foreach (var h in hits.Where(h => h.Entry.Kind == ConceptKind.Filter && (entity is null || h.Entry.Entity == entity)))
        {
            var forms = h.Entry.Filter is { } kind
                ? [sql.Value(h.Entry.Entity!.Value, Model.DimensionOf(kind).Dimension, h.Entry.Target)]
                : PredicateForms(h.Entry.Entity!.Value, h.Entry.Target);
            if (forms.Count == 0 || forms[0].Count == 0)
            {
                continue;
            }
            // One condition said twice in a row ("not yet done", "open backlog") is one condition; said of other rows
            // ("the open epic with the most open child issues") it is two.
            var key = string.Join(" and ", forms[0]);
            var again = filterSpans.Any(f => f.Key == key && (f.Start < h.End && h.Start < f.End
                || f.End <= h.Start && Lexicon.Tokenize(text[f.End..h.Start]).All(t => Model.Lexicon.IsStopWord(t.Text))));
            filterSpans.Add((h.Start, h.End, key));
            if (again)
            {
                continue;
            }
            concepts.Add(new FilterConcept($"'{h.Text}' ({h.Entry.Label})", forms) { Role = entity == EntityKind.Epic ? RoleOf(h, all, nameSpans, text) : null });
            allowed.AddRange(forms.SelectMany(f => f));
            if (h.Entry.Target == "closed_unmerged")
            {
                // "Closed without merging", "closed unmerged" say "not merged" in so many words: merged_at IS NULL beside it is no addition.
                allowed.AddRange(PredicateForms(h.Entry.Entity!.Value, "not_merged").SelectMany(f => f));
            }
        }
        // "The open epic with the most open child tickets": the state inside the layer's children_open / children_done words is the
        // children's, and only a condition on the children's rows says it (not one moved to the epic's row).
        if (entity == EntityKind.Epic)
        {
            foreach (var h in hits.Where(h => h.Entry.Kind == ConceptKind.Attribute && h.Entry.Entity == EntityKind.Epic && h.Entry.Target is "children_open" or "children_done" or "children_points_open"))
            {
                var forms = PredicateForms(EntityKind.Epic, h.Entry.Target == "children_done" ? "done" : "not_done");
                if (forms.Count > 0 && forms[0].Count > 0)
                {
                    concepts.Add(new FilterConcept($"'{h.Text}' (the child issues' state)", forms) { Role = IssueRole.Child });
                    allowed.AddRange(forms.SelectMany(f => f));
                }
            }
        }

        // Events pick the time column ("merged last month" → merged_at) and bring their conditions. An event verb that heads a
        // state phrase ("closed without merging this year") dates the rows too: the period is of that event.
        var eventColumns = new List<(int Start, int End, IReadOnlyList<string> Columns)>();
        if (entity is { } ev)
        {
            var events = hits.Where(h => h.Entry.Kind == ConceptKind.Event && h.Entry.Entity == ev)
                .Concat(all.Where(h => h.Entry.Kind == ConceptKind.Event && h.Entry.Entity == ev && !hits.Contains(h)
                    && hits.Any(o => o.Entry.Kind == ConceptKind.Filter && o.Start == h.Start && o.Length > h.Length)))
                .DistinctBy(h => (h.Start, h.Entry.Target))
                // "hours to resolve this year's incidents": the verb ends the duration measured, it dates nothing (Words.EndsDuration).
                .Where(h => !Words.EndsDuration(text[..h.Start])).ToList();
            foreach (var h in events)
            {
                if (Model.Entity(ev).Event(h.Entry.Target) is { } e)
                {
                    var columns = sql.TimeColumn(ev, e.TimeAttribute);
                    eventColumns.Add((h.Start, h.End, columns));
                    timeColumns.AddRange(columns);
                    foreach (var c in e.Conditions)
                    {
                        var forms = PredicateForms(ev, c);
                        if (metric?.Attribute is { } ma && Model.Entity(metric.Entity).Attribute(ma) is { } mad && mad.Requires.Contains(c))
                        {
                            allowed.AddRange(forms.SelectMany(f => f));
                            continue;
                        }
                        allowed.AddRange(forms.SelectMany(f => f));
                        if (forms.Count > 0 && forms[0].All(x => x.Operator != "is not null")
                            && !concepts.OfType<FilterConcept>().Any(f => f.Forms.Any(x => string.Join(" and ", x) == string.Join(" and ", forms[0])))
                            && !HeadsStateHolding(h, hits, forms[0]))
                        {
                            concepts.Add(new FilterConcept($"'{h.Text}': {c}", forms));
                        }
                    }
                }
            }
            if (ev is EntityKind.Issue or EntityKind.Epic && StartedRegex().Match(text) is { Success: true } started)
            {
                timeColumns.AddRange(sql.TimeColumn(ev, "started"));
                eventColumns.Add((started.Index, started.Index + started.Length, sql.TimeColumn(ev, "started")));
            }
        }

        // Ordering and row count: a listing of rows ranks by what it names, it does not aggregate it.
        var orders = hits.Where(h => h.Entry.Kind is ConceptKind.Order or ConceptKind.Listing
            && !(h.Entry.Kind == ConceptKind.Order && h.Text is "max" or "maximum" or "min" or "minimum")).ToList();
        var limit = orders.Count > 0 ? RowCount(tokens, consumed, hits) : null;

        // Groupings.
        var measured = hits.Where(h => h.Entry.Kind == ConceptKind.Attribute && h.Entry.Entity == entity && !thresholdAttributes.Contains(h)).ToList();
        var groupedAttributes = orders.Count > 0 ? [] : measured.Where(h => CueBefore(hits, h, tokens, words: 2)).ToList();
        measured = measured.Except(groupedAttributes).ToList();
        var allowedKeys = new List<string>();
        var groupings = new List<GroupingConcept>();
        if (entity is { } ge)
        {
            allowedKeys.AddRange(sql.KeyColumns(ge));
            groupings.AddRange(Groupings(hits, tokens, text, ge, nameSpans, metric));
            foreach (var a in groupedAttributes)
            {
                groupings.Add(new GroupingConcept($"per '{a.Text}'", sql.AttributeColumns(ge, a.Entry.Target), null, false));
            }
            concepts.AddRange(groupings);
            allowedKeys.AddRange(groupings.SelectMany(g => g.Keys));
            if (metric is { DefaultDimension: var dd and not Dimension.None })
            {
                allowedKeys.AddRange(sql.DimensionColumns(ge, dd));
            }
            if (metric?.Custom is { } custom)
            {
                allowedKeys.AddRange(custom.GroupBy.SelectMany(g => sql.ExpressionColumns(metric.Entity, g)));
            }
        }
        // A listing of rows: a listing word, a row count, "which PR …", or a ranking by an attribute of the rows ("added the most lines").
        // "Platform vs Payments", "projects PAY and MOB": two names of one dimension may be compared side by side.
        foreach (var d in nameSpans.GroupBy(n => n.Dimension).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            if (entity is { } ne && Model.Binding(d, ne) is not null)
            {
                allowedKeys.AddRange(sql.DimensionColumns(ne, d).Concat(AlternateKeys(d)));
            }
        }
        var listing = groupings.Count == 0 && orders.Count > 0
            && (orders.Any(o => o.Entry.Kind == ConceptKind.Listing) || limit is not null || WhichEntity().IsMatch(text)
                || measured.Count > 0 && !hits.Any(h => h.Entry.Kind == ConceptKind.Measure));
        if (orders.Count > 0)
        {
            var directions = orders.Where(o => o.Entry.Kind == ConceptKind.Order).Select(o => o.Entry.Target switch
            {
                "desc" or "top" => "desc",
                "asc" or "bottom" => "asc",
                _ => null,
            }).Where(d => d is not null).Distinct().ToList();
            // "Which team …", "the biggest PR": the noun the ranking picks is singular, so the answer is one row.
            var noun = groupings.Count > 0 ? groupings[0].Label.Trim('\'')
                : hits.Where(h => h.Entry.Kind == ConceptKind.Entity && h.Entry.Entity == entity).OrderBy(h => h.Start).FirstOrDefault()?.Text
                  ?? nameSpans.Where(n => n.Dimension == Dimension.IssueType).Select(n => text[n.Start..n.End]).FirstOrDefault();
            concepts.Add(new OrderConcept(string.Join(", ", orders.Select(o => $"'{o.Text}'").Distinct()) + (limit is { } n ? $" (top {n})" : ""), limit, listing,
                directions.Count == 1 ? directions[0] : null)
            {
                // "… per team" / "by repository" asks for every one of them, ranked, whatever the singular before it.
                Single = limit is null && noun is not null && IsSingular(noun) && !AskedForEach(text, noun)
                         && !(hits.FirstOrDefault(h => h.Entry.Kind == ConceptKind.Grouping && h.Text == noun)?.Entry.Dimension is { } nd
                              && hits.Any(h => h.Entry.Kind == ConceptKind.Grouping && h.Entry.Dimension == nd && CueBefore(hits, h, tokens)))
                    ? noun : null,
            });
        }

        // "List the epics with …", "show me the open bugs", "what are the PRs …": the rows themselves, when no measure, metric or grouping is asked.
        if (entity is { } lse && groupings.Count == 0 && metric is null && !hits.Any(h => h.Entry.Kind == ConceptKind.Measure)
            && ListVerb().Match(text) is { Success: true } lv
            && hits.Where(h => h.Entry.Kind == ConceptKind.Entity && h.Entry.Entity == lse).Select(h => (h.Start, h.End))
                .Concat(nameSpans.Where(n => n.Dimension == Dimension.IssueType).Select(n => (n.Start, n.End)))
                .Where(n => n.Start >= lv.Index + lv.Length).OrderBy(n => n.Start).FirstOrDefault() is { End: > 0 } listed
            && Lexicon.Tokenize(text[(lv.Index + lv.Length)..listed.Start]).Count <= 4 && !IsSingular(text[listed.Start..listed.End]))
        {
            listing = true;
            var noun = text[listed.Start..listed.End];
            concepts.Add(new ListingConcept($"a list of '{noun}'", noun, sql.KeyColumns(lse)));
        }

        // The measure (not for a listing of rows, which ranks by it). "The slowest team": the listing word's attribute, per group.
        var measure = listing ? null : Measure(hits, text, metric, metricHit, entity, measured);
        if (!listing && groupings.Count > 0 && entity is { } le0 && (measure is null || measure.Aggregates.SetEquals(["count"]) && metric is null && !hits.Any(h => h.Entry.Kind == ConceptKind.Measure))
            && orders.FirstOrDefault(o => o.Entry.Kind == ConceptKind.Listing) is { } byListing
            && Model.Listings.FirstOrDefault(x => x.Name == byListing.Entry.Target) is { } ld && ld.Attributes.TryGetValue(le0, out var rankAttribute)
            && Model.Entity(le0).Attribute(rankAttribute) is { Type: AttributeType.Number } rad)
        {
            measure = new MeasureConcept($"'{byListing.Text}' ({rad.Label})", new HashSet<string> { "avg", "median", "max", "sum" }, sql.AttributeColumns(le0, rankAttribute));
            allowed.AddRange(rad.Requires.SelectMany(r => PredicateForms(le0, r).SelectMany(f => f)));
        }
        // "On average, how many PRs does each author open", "mean number of incidents per team": one number, the rows over the distinct
        // groups (a count divided by a count of the grouping's distinct keys), not an average of a column nor a grouping (session 9).
        if (measure is { Columns.Count: 0 } am && am.Aggregates.SetEquals(["avg"]) && measured.Count == 0 && metric is null or { Aggregation: Aggregation.Count }
            && !hits.Any(h => h.Entry.Kind == ConceptKind.Measure && h.Entry.Target == "duration") && orders.Count == 0
            && groupings is [{ TimeGrain: null } per] && !RateRegex().IsMatch(text) && !AveragePerEpic().IsMatch(text))
        {
            measure = new MeasureConcept(am.Label, new HashSet<string> { "count" }, []);
            concepts[concepts.IndexOf(per)] = per with { AveragedOver = true };
        }
        if (measure is not null)
        {
            concepts.Add(measure);
        }
        // A share whose subset is a threshold on a value the data may leave empty ("% of stories done within a week", "share of merged
        // PRs with over 10 changed files") is taken of the rows with a known value (AttributeDef.KnownWhen): the row with none is neither
        // inside nor outside the threshold, so a condition that picks the rows must say the value is there (docs/agent.md, "Metric definitions").
        // Unless the question counts the unknown rows outside: then that condition was not asked for.
        if (measure is not null && measure.Aggregates.Contains("share") && entity is { } ke && !unknownOutside)
        {
            foreach (var known in thresholdAttributes.Select(h => Model.Entity(ke).Attribute(h.Entry.Target)).OfType<AttributeDef>()
                         .Select(a => (a, a.KnownWhen)).Where(x => x.KnownWhen is not null).DistinctBy(x => x.KnownWhen))
            {
                var forms = PredicateForms(ke, known.KnownWhen!);
                if (forms.Count > 0 && forms[0].Count > 0)
                {
                    concepts.Add(new FilterConcept($"a known value of {known.a.Label} (the share is of the {Model.Entity(ke).Plural} that have one)", forms) { Population = true });
                    allowed.AddRange(forms.SelectMany(f => f));
                }
            }
        }
        if (metric is not null)
        {
            var forms = metric.Conditions.Select(c => (Name: c, Forms: PredicateForms(metric.Entity, c))).ToList();
            var named = concepts.OfType<FilterConcept>().Select(f => string.Join(" and ", f.Forms[0])).ToHashSet(StringComparer.Ordinal);
            // The metric's definition is part of what the question asks, even when the measured value implies it in words
            // (a lead time is of done issues): lead time over issues reopened since is another number.
            foreach (var (name, f) in forms.Where(x => x.Forms.Count > 0 && x.Forms[0].All(c => c.Operator != "is not null")))
            {
                if (named.Add(string.Join(" and ", f[0])))
                {
                    concepts.Add(new FilterConcept($"{metric.Title}: {name}", f));
                }
            }
            allowed.AddRange(forms.SelectMany(x => x.Forms.SelectMany(f => f)));
            if (metric.Custom is not null)
            {
                allowed.AddRange(sql.CustomConditions(metric));
            }
            if (metric.ShareOf is { } share)
            {
                allowed.AddRange(PredicateForms(metric.Entity, share).SelectMany(f => f));
            }
            foreach (var d in metric.Defaults)
            {
                var form = sql.Value(metric.Entity, Model.DimensionOf(d.Kind).Dimension, d.Value);
                allowed.AddRange(form);
                // A DORA measure of deployments is defined on production, unless the question names the environment.
                if (metric.IsDora && metric.Entity == EntityKind.Deployment && form.Count > 0
                    && !hits.Any(h => h.Entry.Filter == d.Kind || h.Entry.Kind == ConceptKind.Grouping && h.Entry.Dimension == Model.DimensionOf(d.Kind).Dimension)
                    && named.Add(string.Join(" and ", form)))
                {
                    concepts.Add(new FilterConcept($"{metric.Title}: {d.Value}", [form]));
                }
            }
            if (metric.Attribute is { } a && Model.Entity(metric.Entity).Attribute(a) is { } ad)
            {
                allowed.AddRange(ad.Requires.SelectMany(r => PredicateForms(metric.Entity, r).SelectMany(f => f)));
            }
        }
        else if (entity is { } ce && Model.Metrics.FirstOrDefault(x => x.Entity == ce && x.Aggregation == Aggregation.Count && x.Conditions.Count == 0 && !x.Derived) is { } plain)
        {
            // A plain count of the entity reads as its catalogued count: its assumed values are allowed.
            allowed.AddRange(plain.Defaults.SelectMany(d => sql.Value(ce, Model.DimensionOf(d.Kind).Dimension, d.Value)));
        }
        foreach (var h in measured.Concat(hits.Where(h => h.Entry.Kind == ConceptKind.Listing || h.Entry.Kind == ConceptKind.Attribute)))
        {
            if (h.Entry.Entity is { } he && Model.Entity(he).Attribute(h.Entry.Target) is { } ad)
            {
                allowed.AddRange(ad.Requires.SelectMany(r => PredicateForms(he, r).SelectMany(f => f)));
            }
        }
        foreach (var l in hits.Where(h => h.Entry.Kind == ConceptKind.Listing) .Select(h => Model.Listings.FirstOrDefault(x => x.Name == h.Entry.Target)))
        {
            if (l is not null && entity is { } le && l.Attributes.TryGetValue(le, out var attr) && Model.Entity(le).Attribute(attr) is { } lad)
            {
                allowed.AddRange(lad.Requires.SelectMany(r => PredicateForms(le, r).SelectMany(f => f)));
            }
        }

        if (entity is { } de && hits.Any(h => h.Entry.Kind == ConceptKind.Measure && h.Entry.Target == "duration")
            && Model.Listings.FirstOrDefault(l => l.Name == "slowest") is { } slow && slow.Attributes.TryGetValue(de, out var durationAttribute)
            && Model.Entity(de).Attribute(durationAttribute) is { } dad)
        {
            allowed.AddRange(dad.Requires.SelectMany(r => PredicateForms(de, r).SelectMany(f => f)));
        }

        // The period: with no known rows, on any time column.
        if (entity is { } we)
        {
            if (timeColumns.Count == 0)
            {
                // No event verb: the metric's own date, else the rows' default date ("PRs this year" are the PRs opened this year).
                timeColumns.AddRange(metric is not null ? sql.TimeColumn(metric.Entity, metric.TimeAttribute) : sql.TimeColumn(we, Model.Entity(we).DefaultTime));
                // An attribute measured without naming its metric is dated as that metric is ("how long did stories take" is
                // the lead time, dated by completion; "the time it took to resolve incidents" is time to restore, dated by the start).
                var attributes = measured.Select(h => h.Entry.Target).ToList();
                if (hits.Any(h => h.Entry.Kind == ConceptKind.Measure && h.Entry.Target == "duration")
                    && Model.Listings.FirstOrDefault(l => l.Name == "slowest") is { } slowest && slowest.Attributes.TryGetValue(we, out var slowAttribute))
                {
                    attributes.Add(slowAttribute);
                }
                foreach (var m2 in Model.Metrics.Where(x => x.Entity == we && x.Attribute is { } xa && attributes.Contains(xa)))
                {
                    timeColumns.AddRange(sql.TimeColumn(we, m2.TimeAttribute));
                }
                if (timeColumns.Count == 0)
                {
                    timeColumns.AddRange(sql.TimeColumns(we));
                }
            }
        }
        foreach (var w in hits.Where(h => h.Entry.Kind == ConceptKind.Window && h.Window is not null))
        {
            // A period attached to an event verb ("closed … this year", "merged last month") filters that event's column; with
            // several events, the nearest one before the period (else after it) is the one it dates.
            var attached = EventOfWindow(eventColumns, w, text);
            concepts.Add(new WindowConcept(w.Entry.Label, w.Window!.From.UtcDateTime, w.Window.To.UtcDateTime, attached ?? timeColumns.Distinct().ToList()));
        }

        // What every query of the named rows may carry.
        foreach (var kind in Model.Entities.Select(e => e.Kind))
        {
            if (kind != EntityKind.Epic || entity == EntityKind.Epic)
            {
                allowed.AddRange(sql.BaseConditions(kind).Where(c => kind == entity || c.Operator == "is true"));
            }
        }
        var words = new HashSet<string>(tokens.Select(t => t.Text), StringComparer.Ordinal);
        words.UnionWith(tokens.Zip(tokens.Skip(1), (a, b) => a.Text + " " + b.Text));

        // What the reading did not place: a word that changes what is counted, and a number (a threshold, the N of a top N,
        // a length) no phrase, date, name, threshold or row count holds — the SQL must then say that number somewhere.
        var excluded = JudgeWords.ExclusionSpans(text).ToList();
        bool Placed(Token t) => all.Any(h => t.Start < h.End && h.Start < t.End) || consumed.Any(c => t.Start < c.End && c.Start < t.End)
                                || excluded.Any(x => t.Start < x.End && x.Start < t.End) && all.Any(h => h.Entry.Kind == ConceptKind.Window);
        var unplaced = tokens.Where(t => JudgeWords.IsSignal(t.Text) && !Placed(t)).Select(t => t.Text).Distinct().ToList();
        var numbers = tokens.Where(t => t.Text != "one" && Number(t.Text) is not null && !Placed(t) && !(limit is { } l && Number(t.Text) == l))
            .Select(t => (t.Text, Number(t.Text)!.Value)).ToList();
        return new QuestionReading(concepts, entity, metric, allowed, timeColumns.Distinct().ToList(), mentioned, allowedKeys.Distinct().ToList(), metric?.DefaultWindowDays)
        {
            NamedColumns = NamedColumns(all, entity, metric),
            // An epic question that names the epics' children (an attribute over them, an issue noun, what is under an epic, a state
            // said of them, a metric defined over them): a join to the child rows is the question's.
            ChildrenNamed = entity == EntityKind.Epic && (hits.Any(h => h.Entry.Kind == ConceptKind.Attribute && h.Entry.Entity == EntityKind.Epic && h.Entry.Target.StartsWith("children", StringComparison.Ordinal)
                || h.Entry.Kind == ConceptKind.Entity && h.Entry.Entity == EntityKind.Issue)
                || nameSpans.Any(n => n.Dimension == Dimension.IssueType && !EpicWordRegex().IsMatch(text[n.Start..n.End]))
                || concepts.OfType<FilterConcept>().Any(f => f.Role == IssueRole.Child) || metric?.Custom is not null || UnderEpicRegex().IsMatch(text)),
            Words = words,
            Ratio = RatioRegex().IsMatch(text) || PerEntityRegex().IsMatch(text),
            Unplaced = unplaced,
            Numbers = numbers,
            Unit = JudgeWords.AskedUnit(text),
            Relation = JudgeWords.AsksRelation(text),
            // A per-day rate asked in words, or a metric defined per day ("deployment frequency by week": the DORA frequency
            // in each week) unless the question puts it per week ("deployment frequency per week" counts each week).
            PerDay = JudgeWords.AsksPerDay(text) || metric is { Aggregation: Aggregation.RatePerDay } && !JudgeWords.AsksPerWeek(text),
        };
    }

    /// <summary>
    /// The columns of every value the question names — each attribute it says ("story points", "open child issues"), what a listing
    /// word ranks by ("oldest", "biggest"), the metric's measured attribute and its own expressions: an aggregate of any other
    /// column is a value nobody asked for.
    /// </summary>
    private HashSet<string> NamedColumns(List<LexiconHit> hits, EntityKind? entity, MetricDef? metric)
    {
        var columns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in hits.Where(h => h.Entry.Kind == ConceptKind.Attribute && h.Entry.Entity is not null))
        {
            columns.UnionWith(sql.AttributeColumns(h.Entry.Entity!.Value, h.Entry.Target));
        }
        if (entity is { } e)
        {
            foreach (var l in hits.Where(h => h.Entry.Kind is ConceptKind.Listing || h.Entry.Kind == ConceptKind.Measure && h.Entry.Target == "duration"))
            {
                var name = l.Entry.Kind == ConceptKind.Listing ? l.Entry.Target : "slowest";
                if (Model.Listings.FirstOrDefault(x => x.Name == name) is { } ld && ld.Attributes.TryGetValue(e, out var a))
                {
                    columns.UnionWith(sql.AttributeColumns(e, a));
                }
            }
        }
        if (metric is not null)
        {
            if (metric.Attribute is { } ma)
            {
                columns.UnionWith(sql.AttributeColumns(metric.Entity, ma));
            }
            if (metric.Custom is { } custom)
            {
                columns.UnionWith(custom.Columns.SelectMany(c => sql.ExpressionColumns(metric.Entity, c.Expression)));
            }
        }
        return columns;
    }

    /// <summary>
    /// The event a period dates: with one event column, it; with several, the nearest event before the period in the same
    /// clause (else the nearest after it). Null when the question names no event (the period may then apply to any time column).
    /// </summary>
    private static IReadOnlyList<string>? EventOfWindow(List<(int Start, int End, IReadOnlyList<string> Columns)> events, LexiconHit window, string text)
    {
        var distinct = events.Where(e => e.Columns.Count > 0).ToList();
        if (distinct.Count == 0)
        {
            return null;
        }
        if (distinct.Select(e => string.Join(",", e.Columns)).Distinct().Count() == 1)
        {
            return distinct[0].Columns;
        }
        bool SameClause(int from, int to) => !ClauseBreakRegex().IsMatch(text[Math.Min(from, to)..Math.Max(from, to)]);
        var before = distinct.Where(e => e.End <= window.Start && SameClause(e.End, window.Start)).OrderByDescending(e => e.End).FirstOrDefault();
        if (before.Columns is not null)
        {
            return before.Columns;
        }
        var after = distinct.Where(e => e.Start >= window.End && SameClause(window.End, e.Start)).OrderBy(e => e.Start).FirstOrDefault();
        return after.Columns is not null ? after.Columns : distinct.SelectMany(e => e.Columns).Distinct().ToList();
    }

    /// <summary>A predicate's conditions, and its other spellings (a merged PR by its status).</summary>
    private List<IReadOnlyList<SqlCondition>> PredicateForms(EntityKind entity, string predicate)
    {
        var forms = new List<IReadOnlyList<SqlCondition>>();
        if (sql.Predicate(entity, predicate) is { Count: > 0 } p)
        {
            forms.Add(p);
        }
        forms.AddRange(EquivalentForms(entity, predicate));
        return forms;
    }

    /// <summary>
    /// The event verb heads a state phrase whose own condition already holds the event's ("closed as Won't Do": the Won't Do
    /// status is a Done one, and its condition says so): the event's condition is that phrase's, not a second one.
    /// </summary>
    private bool HeadsStateHolding(LexiconHit ev, List<LexiconHit> hits, IReadOnlyList<SqlCondition> condition)
    {
        var key = string.Join(" and ", condition);
        return hits.Any(o => o.Entry.Kind == ConceptKind.Filter && o.Entry.Filter is null && o.Start == ev.Start && o.Length > ev.Length && o.Entry.Entity == ev.Entry.Entity
            && PredicateForms(o.Entry.Entity!.Value, o.Entry.Target).Any(form => form.Count > condition.Count
                && Enumerable.Range(0, form.Count - condition.Count + 1).Any(i => string.Join(" and ", form.Skip(i).Take(condition.Count)) == key)));
    }

    /// <summary>
    /// Hits not strictly inside a longer one ("failure" inside "change failure rate" is the metric's word); an
    /// event ("were merged") only picks a time column, so what it contains ("merged") still counts.
    /// </summary>
    private static List<LexiconHit> Outermost(IReadOnlyList<LexiconHit> hits) =>
        hits.Where(h => !hits.Any(o => o.Length > h.Length && o.Start <= h.Start && o.End >= h.End && o.Entry.Kind != ConceptKind.Event)).ToList();

    private EntityKind? EntityOf(List<LexiconHit> hits, string text, TenantNames names)
    {
        var first = hits.Where(h => h.Entry.Kind == ConceptKind.Entity && h.Entry.Entity is not null).OrderBy(h => h.Start).FirstOrDefault();
        if (first is not null)
        {
            return first.Entry.Entity;
        }
        if (names.IssueTypes.Any(t => WordForms(t).Any(f => Regex.IsMatch(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(f)}(?![\p{{L}}\p{{N}}])")))
            || Words.IssueTypeWords.Any(w => names.IssueTypes.Contains(w.Type, StringComparer.OrdinalIgnoreCase) && Regex.IsMatch(text, $@"(?<![\p{{L}}\p{{N}}-])(?:{w.Pattern})(?![\p{{L}}\p{{N}}-])")))
        {
            return EntityKind.Issue;
        }
        return hits.FirstOrDefault(h => h.Entry.Kind is ConceptKind.Attribute or ConceptKind.Listing or ConceptKind.Filter or ConceptKind.Event && h.Entry.Entity is not null)?.Entry.Entity
               // "the slowest team": a listing word with no rows named reads as issues (lead time), as the layer's listings do first.
               ?? (hits.Any(h => h.Entry.Kind == ConceptKind.Listing) ? EntityKind.Issue : null);
    }

    /// <summary>Other spellings of a predicate: a PR that is "merged" may be tested by its status.</summary>
    private IEnumerable<IReadOnlyList<SqlCondition>> EquivalentForms(EntityKind entity, string predicate)
    {
        var status = (entity, predicate) switch
        {
            (EntityKind.PullRequest, "merged") => "merged",
            (EntityKind.PullRequest, "open") => "open",
            (EntityKind.PullRequest, "closed_unmerged") => "closed",
            (EntityKind.PullRequest, "not_merged") => "closed",
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
        string question, string text, TenantNames names, EntityKind? entity, List<LexiconHit> hits)
    {
        bool Free(int start, int end) => !hits.Any(h => h.Entry.Kind is ConceptKind.Attribute or ConceptKind.Metric or ConceptKind.Listing && h.Start < end && start < h.End);
        // Each name is tested as a substring before its regex is built (a tenant has a hundred names or more, .NET's regex
        // cache holds 15): the regex matches the name's literal text, so a text without it has no match.
        foreach (var team in names.Teams.Where(t => text.Contains(t.ToLowerInvariant(), StringComparison.Ordinal)))
        {
            foreach (Match m in Regex.Matches(text, $@"(?<![\p{{L}}\p{{N}}-]){Regex.Escape(team.ToLowerInvariant())}(?![\p{{L}}\p{{N}}])"))
            {
                var before = text[..m.Index].TrimEnd();
                var after = text[(m.Index + m.Length)..].TrimStart();
                var capitalised = question.Contains(team, StringComparison.Ordinal) && team.Any(char.IsUpper);
                if (before.EndsWith("team", StringComparison.Ordinal) || after.StartsWith("team", StringComparison.Ordinal) || after.StartsWith("squad", StringComparison.Ordinal) || capitalised
                    || Words.LeadsQuestion(before, text[(m.Index + m.Length)..], names.Teams))
                {
                    yield return ($"team {team}", "teams.name", team, m.Index, m.Index + m.Length);
                    break;
                }
            }
        }
        foreach (var key in names.Projects.Where(k => question.Contains(k, StringComparison.Ordinal) || text.Contains(k.ToLowerInvariant(), StringComparison.Ordinal)))
        {
            var upper = Regex.Match(question, $@"(?<![\p{{L}}\p{{N}}-]){Regex.Escape(key)}(?![\p{{L}}\p{{N}}]|-\d)");
            var named = Regex.Match(text, $@"\bprojects?\s+{Regex.Escape(key.ToLowerInvariant())}(?![\p{{L}}\p{{N}}]|-\d)");
            if (upper.Success && key.Any(char.IsUpper) || named.Success)
            {
                var at = named.Success ? named : Regex.Match(text, Regex.Escape(key.ToLowerInvariant()));
                yield return ($"project {key}", "projects.key", key, at.Index, at.Index + at.Length);
            }
        }
        foreach (var repo in names.Repositories.Where(r => text.Contains(r.ToLowerInvariant(), StringComparison.Ordinal)))
        {
            var m = Regex.Match(text, $@"(?<![\p{{L}}\p{{N}}-]){Regex.Escape(repo.ToLowerInvariant())}(?![\p{{L}}\p{{N}}-])");
            if (m.Success)
            {
                yield return ($"repository {repo}", "repositories.name", repo, m.Index, m.Index + m.Length);
            }
        }
        foreach (var person in names.People.Where(p => p.Contains(' ', StringComparison.Ordinal) && text.Contains(p.ToLowerInvariant(), StringComparison.Ordinal)))
        {
            var m = Regex.Match(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(person.ToLowerInvariant())}(?![\p{{L}}\p{{N}}])");
            if (m.Success)
            {
                yield return ($"person {person}", "users.name", person, m.Index, m.Index + m.Length);
            }
        }
        if (entity is EntityKind.Issue or EntityKind.Epic or null)
        {
            foreach (var type in names.IssueTypes)
            {
                // The tenant's type name in its forms, and the layer's shared words for it ("defects" are bugs).
                var shared = Words.IssueTypeWords.Where(w => string.Equals(w.Type, type, StringComparison.OrdinalIgnoreCase)).Select(w => w.Pattern);
                var found = WordForms(type).Select(Regex.Escape).Concat(shared)
                    .SelectMany(form => Regex.Matches(text, $@"(?<![\p{{L}}\p{{N}}-])(?:{form})(?![\p{{L}}\p{{N}}-])"))
                    .OrderBy(m => m.Index).FirstOrDefault(m => Free(m.Index, m.Index + m.Length));
                if (found is not null)
                {
                    yield return ($"issue type {type} ('{found.Value}')", "issuetypes.original_name", type, found.Index, found.Index + found.Length);
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
        // "3 to 10 changed files": a range without "between".
        foreach (var t in tokens.Where(t => t.Text is "to" or "-"))
        {
            var before = tokens.LastOrDefault(x => x.End <= t.Start);
            var after = tokens.FirstOrDefault(x => x.Start >= t.End);
            if (Number(before.Text ?? "") is { } a && Number(after.Text ?? "") is { } b && b > a
                && attributes.Where(x => x.Start >= after.End && x.Start - after.End <= 12).OrderBy(x => x.Start).FirstOrDefault() is { } attr
                && sql.AttributeColumns(entity, attr.Entry.Target) is { Count: > 0 } cols)
            {
                string N(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
                yield return new Threshold(new FilterConcept($"'{before.Text} to {after.Text} {attr.Text}'",
                    [[new SqlCondition { Operator = "between", Columns = cols, Constants = [N(a), N(b)] }],
                     [new SqlCondition { Operator = ">=", Columns = cols, Constants = [N(a)] }, new SqlCondition { Operator = "<=", Columns = cols, Constants = [N(b)] }]]),
                    attr, [(before.Start, after.End)]);
            }
        }
        foreach (var c in hits.Where(h => h.Entry.Kind == ConceptKind.Comparator))
        {
            if (!Enum.TryParse<Comparison>(c.Entry.Target, out var comparison))
            {
                continue;
            }
            var after = tokens.Where(t => t.Start >= c.End).Take(4).ToList();
            var before = tokens.Where(t => t.End <= c.Start).TakeLast(1).ToList();
            var numbers = new List<(Token Token, double Value)>();
            // "24 hours or less", "a day or more": a number and a time unit before the comparator.
            var unitFirst = c.Text is "or more" or "or less" or "or fewer" && tokens.Where(t => t.End <= c.Start).TakeLast(2).ToList() is [var n0, var u0]
                            && DurationUnit(u0.Text) is not null && (Number(n0.Text) ?? (n0.Text is "a" or "an" ? 1 : null)) is { } v0
                ? (Number: n0, Value: v0, Unit: u0) : ((Token Number, double Value, Token Unit)?)null;
            if (unitFirst is { } uf)
            {
                numbers.Add((uf.Number, uf.Value));
            }
            foreach (var t in unitFirst is not null ? [] : c.Text is "or more" or "or less" or "or fewer" or "+" or "plus" ? before : after)
            {
                // "within a day", "in under an hour": the article is one of the unit after it.
                var article = t.Text is "a" or "an" && DurationUnit(after.SkipWhile(x => x.Start <= t.Start).FirstOrDefault().Text ?? "") is not null ? 1 : (double?)null;
                if ((Number(t.Text) ?? article) is { } n)
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
            // "within 24 hours", "in under a day", "24 hours or less": a time unit right after the number is the rows' own duration
            // (time to merge, time to restore, lead time), the value in the attribute's unit (2 days of an hours attribute is 48).
            var unitToken = unitFirst?.Unit ?? tokens.FirstOrDefault(t => t.Start >= last.End);
            // "open for more than two weeks", "(open >14 days)": the age of an open row up to now (the reader's age phrase), not its own duration.
            var prior = tokens.Where(t => t.End <= c.Start).TakeLast(2).Select(t => t.Text).ToList();
            var age = (prior is [.., "open"] || prior is ["open", "for"]) && unitFirst is null ? Model.Entity(entity).Attribute("age_days") : null;
            var duration = DurationUnit(unitToken.Text ?? "") is { } hoursPerUnit && (age ?? DurationOf(entity)) is { } durationAttribute
                ? (Attribute: durationAttribute, Scale: durationAttribute.Unit == "hours" ? hoursPerUnit : hoursPerUnit / 24) : ((AttributeDef Attribute, double Scale)?)null;
            var attribute = duration is { } d
                ? new LexiconHit(new LexiconEntry(ConceptKind.Attribute, d.Attribute.Name, unitToken.Text!) { Entity = entity, Label = d.Attribute.Label }, unitToken.Start, unitToken.Length, unitToken.Text!)
                : attributes.Where(a => a.Start >= last.End && a.Start - last.End <= 20).OrderBy(a => a.Start).FirstOrDefault()
                  ?? attributes.Where(a => a.End <= c.Start && c.Start - a.End <= 12).OrderByDescending(a => a.End).FirstOrDefault();
            if (attribute is null)
            {
                continue;
            }
            if (duration is { } scaled)
            {
                numbers = [.. numbers.Select(x => (x.Token, x.Value * scaled.Scale))];
            }
            var columns = sql.AttributeColumns(entity, attribute.Entry.Target);
            // "PRs adding over 500 lines": a verb of adding (removing) before the threshold names the lines added (deleted), not all lines changed.
            if (attribute.Entry.Target == "lines_changed" && before.Concat(tokens.Where(t => t.End <= c.Start).TakeLast(2)).Select(t => t.Text).ToList() is var verbs
                && (verbs.Any(v => v is "adding" or "adds" or "add") ? "additions" : verbs.Any(v => v is "removing" or "removes" or "remove" or "deleting" or "deletes" or "delete") ? "deletions" : null) is { } side)
            {
                columns = sql.AttributeColumns(entity, side);
            }
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
            var label = unitFirst is { } said ? $"'{said.Number.Text} {said.Unit.Text} {c.Text}'" : $"'{c.Text} {string.Join(" and ", numbers.Select(x => x.Token.Text))} {attribute.Text}'";
            yield return new Threshold(new FilterConcept(label, forms), attribute, [(c.Start, c.End), .. numbers.Select(x => (x.Token.Start, x.Token.End))]);
        }
    }

    private static bool IsSingular(string noun)
    {
        var last = noun.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } parts ? parts[^1] : noun;
        return last is "who" or "whose" or "whom"
               || last is not ("people" or "children" or "folks" or "staff") && !(last.EndsWith('s') && !last.EndsWith("ss", StringComparison.Ordinal)
                   && !last.EndsWith("us", StringComparison.Ordinal) && !last.EndsWith("is", StringComparison.Ordinal));
    }

    /// <summary>
    /// In an epic question, the rows a state word is said of: the noun right after it ("open epic", "open child issues", "done
    /// stories"), else the nearest noun before it in a few words ("epics that are still open"); null when neither is near.
    /// </summary>
    private static IssueRole? RoleOf(LexiconHit state, List<LexiconHit> hits, List<(int Start, int End, Dimension Dimension)> names, string text)
    {
        var nouns = hits.Where(h => h.Entry.Kind == ConceptKind.Entity && h.Entry.Entity is EntityKind.Epic or EntityKind.Issue)
            .Select(h => (h.Start, h.End, Role: h.Entry.Entity == EntityKind.Epic ? IssueRole.Epic : IssueRole.Child))
            .Concat(hits.Where(h => h.Entry.Kind == ConceptKind.Attribute && h.Entry.Entity == EntityKind.Epic && h.Entry.Target == "children").Select(h => (h.Start, h.End, Role: IssueRole.Child)))
            .Concat(names.Where(n => n.Dimension == Dimension.IssueType).Select(n => (n.Start, n.End,
                Role: EpicWordRegex().IsMatch(text[n.Start..n.End]) ? IssueRole.Epic : IssueRole.Child)))
            .ToList();
        int Words(int from, int to) => from >= to ? 0 : Lexicon.Tokenize(text[from..to]).Count;
        // "the most work still open under it": what is under an epic (in it, beneath it) is its children.
        if (UnderEpicRegex().IsMatch(text[state.End..]))
        {
            return IssueRole.Child;
        }
        var after = nouns.Where(n => n.Start >= state.End && Words(state.End, n.Start) <= 2).OrderBy(n => n.Start).ToList();
        if (after.Count > 0)
        {
            return after[0].Role;
        }
        var before = nouns.Where(n => n.End <= state.Start && Words(n.End, state.Start) <= 4).OrderByDescending(n => n.End).ToList();
        return before.Count > 0 ? before[0].Role : null;
    }

    /// <summary>"per team", "by repository", "for each team", "across teams": every one of the noun's rows is asked for.</summary>
    private static bool AskedForEach(string text, string noun)
    {
        var word = Regex.Escape(noun.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? noun);
        return Regex.IsMatch(text, $@"\b(?:per|by|each|every|across|for each|for every|of each|of all|all)\s+(?:the\s+|our\s+)?{word}(?:e?s)?\b");
    }

    /// <summary>Hours in a time unit word ("hours" 1, "day" 24, "wk" 168), or null.</summary>
    private static double? DurationUnit(string token) => token switch
    {
        "hour" or "hours" or "hr" or "hrs" or "h" => 1,
        "day" or "days" or "d" => 24,
        "week" or "weeks" or "wk" or "wks" => 168,
        "minute" or "minutes" or "min" or "mins" => 1 / 60.0,
        _ => null,
    };

    /// <summary>The rows' own duration (a PR's time to merge, an incident's time to restore, an issue's lead time), as the reader ranks "slowest".</summary>
    private AttributeDef? DurationOf(EntityKind entity) =>
        Model.Listings.First(l => l.Name == "slowest").Attributes.TryGetValue(entity, out var name) ? Model.Entity(entity).Attribute(name) : null;

    private static double? Number(string token) =>
        double.TryParse(token, NumberStyles.Integer | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) ? v
        : NumberWords.TryGetValue(token, out var w) ? w : null;

    /// <summary>The measure: an explicit word (average, median, share …) over the attribute it names, else the metric's own.</summary>
    private MeasureConcept? Measure(List<LexiconHit> hits, string text, MetricDef? metric, LexiconHit? metricHit, EntityKind? entity, List<LexiconHit> measured)
    {
        var words = hits.Where(h => h.Entry.Kind == ConceptKind.Measure).ToList();
        var word = words.OrderBy(h => Array.IndexOf(MeasureRank, h.Entry.Target) is var i and >= 0 ? i : 99).FirstOrDefault();
        var attribute = measured.FirstOrDefault();
        var attributeDef = attribute is not null && entity is { } ae ? Model.Entity(ae).Attribute(attribute.Entry.Target) : null;
        // "the highest number of open child tickets": an attribute that is itself a count of related rows is counted, not summed.
        var countOfRows = attributeDef?.Related is not null;
        // "open story points per project": with no measure word, an attribute the layer has a sum metric of reads as that sum.
        var summed = attribute is not null && Model.Metrics.Any(x => x.Aggregation == Aggregation.Sum && x.Entity == entity && x.Attribute == attribute.Entry.Target);
        var columns = metric?.Attribute is { } ma ? sql.AttributeColumns(metric.Entity, ma)
            : attribute is not null && entity is { } e ? sql.AttributeColumns(e, attribute.Entry.Target) : [];
        var meanAbbreviation = metricHit is not null && (metricHit.Text.Contains("mean", StringComparison.Ordinal) || metricHit.Text.StartsWith("mttr", StringComparison.Ordinal));
        HashSet<string>? aggregates = word?.Entry.Target switch
        {
            "avg" or "median" or "p90" or "max" or "min" or "sum" => [word.Entry.Target],
            // "total story points done": the metric's own sum (or count), never a count of the summed column.
            "total" => attribute is not null || metric is { Aggregation: Aggregation.Sum } ? ["sum"] : metric is { Aggregation: Aggregation.Count } ? ["count"] : ["count", "sum"],
            "count" => countOfRows ? ["count", "sum"] : attribute is not null && metric is null ? ["sum"] : metric is not null ? null : ["count"],
            "share" or "ratio" => ["share"], // a ratio ("bugs to stories") is a division too
            // "the rollback rate", "staging failure rate": "rate" right after a state of the rows is the share in that state (as the reader reads it).
            "frequency" when word.Text == "rate" && hits.Any(h => h.Entry.Kind == ConceptKind.Filter && h.Entry.Filter is null or FilterKind.Status
                && h.End <= word.Start && text[h.End..word.Start].Trim().Length == 0) => ["share"],
            "frequency" => ["count"],
            "duration" => ["avg", "median"],
            _ => null,
        };
        if (words.Any(w => w.Entry.Target == "duration") && columns.Count == 0 && entity is { } de && Model.Listings.FirstOrDefault(l => l.Name == "slowest") is { } slow
            && slow.Attributes.TryGetValue(de, out var durationAttribute))
        {
            columns = sql.AttributeColumns(de, durationAttribute);
        }
        if (aggregates is null && attribute is null && metric is null && PerEntityRegex().IsMatch(text))
        {
            aggregates = ["share"];
        }
        if (word?.Entry.Target is "avg" or "frequency" && attribute is null && metric is null && RateRegex().IsMatch(text))
        {
            // "on average, how many deployments per week": a count over the period, not an average of a column.
            aggregates = ["count"];
        }
        if (aggregates is null && metric is null && entity is not null && word is null)
        {
            // No measure word: "bugs created last month by priority" counts rows; "story points completed" sums them.
            aggregates = countOfRows ? ["count", "sum"] : summed ? ["sum"] : attribute is not null ? ["sum", "avg"] : ["count"];
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
            Aggregation.Share or Aggregation.Custom or Aggregation.Ratio => ["share"],
            Aggregation.RatePerDay => ["count"],
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
        var rate = (hits.Any(h => h.Entry.Kind == ConceptKind.Measure && h.Entry.Target is "avg" or "frequency") || text.Contains("on average", StringComparison.Ordinal))
                   && metric?.Attribute is null && !hits.Any(h => h.Entry.Kind == ConceptKind.Attribute && h.Entry.Entity == entity);
        var seen = new HashSet<Dimension>();
        if (hits.FirstOrDefault(h => h.Entry.Kind == ConceptKind.Grouping && h.Text == "whose" && ClauseStart(text, h.Start)) is { } whose)
        {
            // "whose average lead time was the worst": a person or a team.
            seen.Add(Dimension.Assignee);
            var keys = new[] { Dimension.Assignee, Dimension.Team }.Where(d => Model.Binding(d, entity) is not null)
                .SelectMany(d => sql.DimensionColumns(entity, d).Concat(AlternateKeys(d))).ToList();
            yield return new GroupingConcept("'whose'", keys, null, false);
        }
        if (EachPeriod().Match(text) is { Success: true } each)
        {
            // "in each of the last 3 whole months": the period's unit is the grouping.
            var grain = each.Groups[1].Value;
            seen.Add(grain switch { "week" => Dimension.Week, "quarter" => Dimension.Quarter, _ => Dimension.Month });
            yield return new GroupingConcept($"'{each.Value}'", [], grain, false);
        }
        if (hits.FirstOrDefault(h => h.Entry.Kind == ConceptKind.Window && h.Entry.Target.StartsWith(TimeWindowParser.ComparedPrefix, StringComparison.Ordinal)) is { } compared)
        {
            // "this month vs last month" (the layer's compared window): one row per period.
            var grain = compared.Entry.Target[TimeWindowParser.ComparedPrefix.Length..];
            seen.Add(grain switch { "week" => Dimension.Week, "quarter" => Dimension.Quarter, _ => Dimension.Month });
            yield return new GroupingConcept($"'{compared.Text}'", [], grain, false);
        }
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
            if (d == Dimension.Epic && (entity == EntityKind.Epic || hits.Any(a => a.Entry.Kind == ConceptKind.Attribute && a.Entry.Entity == EntityKind.Epic)
                                        || AveragePerEpic().IsMatch(text)))
            {
                // "child issues per open epic" (an attribute of epics), "the average number of issues per open epic": an average over the
            // epics themselves (their children counted), not a grouping by epic.
                seen.Remove(d);
                continue;
            }
            var def = Model.Dimension(d);
            if (def.IsTime)
            {
                var explicitGrain = !GrainWordRegex().IsMatch(h.Text) || CueBefore(hits, h, tokens);
                if (explicitGrain)
                {
                    yield return new GroupingConcept($"'{h.Text}'", [], def.TimeGrain, rate || metric?.Aggregation == Aggregation.RatePerDay);
                }
                continue;
            }
            var asked = h.Text is "who" or "whom" || CueBefore(hits, h, tokens) || WhichBefore(text, h) || RankedBefore(hits, tokens, h) || TheOneWith(text, h)
                        || BreakdownAfterRegex().IsMatch(text[h.End..]);
            if (!asked)
            {
                seen.Remove(d);
                continue;
            }
            // "Who reported / filed / raised the most bugs": the person a created-verb is said of is the issue's reporter, not its assignee.
            if (d == Dimension.Assignee && Model.Binding(Dimension.Reporter, entity) is not null && !h.Text.StartsWith("assignee", StringComparison.Ordinal)
                && hits.Any(x => x.Entry.Kind == ConceptKind.Event && x.Entry.Entity == entity && x.Entry.Target == "created" && ReporterVerb().IsMatch(x.Text)))
            {
                d = Dimension.Reporter;
            }
            var keys = Model.Binding(d, entity) is not null ? sql.DimensionColumns(entity, d).Concat(AlternateKeys(d)).ToList() : sql.KeyColumns(entity).ToList();
            yield return new GroupingConcept($"'{h.Text}'", keys, null, false)
            {
                // People of one table reached by different keys (assignee, reporter): the key says which people.
                Via = d is Dimension.Assignee or Dimension.Reporter ? sql.DimensionVia(entity, d) : null,
            };
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
        Dimension.Reporter => ["users.id", "users.email", "issues.reporter_id"],
        Dimension.IssueType => ["issues.issuetype_id", "issuetypes.id"],
        Dimension.Status => ["statuses.original_name", "issues.status_id", "status_mappings.status_to", "pull_requests.status", "deployments.status"],
        Dimension.Epic => ["issues.parent_id", "issues.id", "issues.key"],
        _ => [],
    };

    /// <summary>A grouping cue ("by", "per", "each", "across") in the words before the hit.</summary>
    private static bool CueBefore(List<LexiconHit> hits, LexiconHit h, IReadOnlyList<Token> tokens, int words = 3)
    {
        var window = tokens.Where(t => t.End <= h.Start).TakeLast(words).ToList();
        var from = window.Count > 0 ? window[0].Start : h.Start;
        return hits.Any(c => c.Entry.Kind == ConceptKind.GroupingCue && c.Entry.Target == "by" && c.End > from && c.End <= h.Start);
    }

    /// <summary>"top 10 assignees", "the five people who …", "most active authors": a ranking names the grouping.</summary>
    private static bool RankedBefore(List<LexiconHit> hits, IReadOnlyList<Token> tokens, LexiconHit h)
    {
        var before = tokens.Where(t => t.End <= h.Start).TakeLast(3).ToList();
        var from = before.Count > 0 ? before[0].Start : h.Start;
        return before.Any(t => Number(t.Text) is not null) || hits.Any(o => o.Entry.Kind is ConceptKind.Order or ConceptKind.Listing && o.End > from && o.End <= h.Start);
    }

    private static bool ClauseStart(string text, int at) => ClauseStartRegex().IsMatch(text[..at]);

    /// <summary>"the team with the slowest lead time", "the repo that merged the most", "the single repo with …": a grouping named as the one asked for.</summary>
    private static bool TheOneWith(string text, LexiconHit h) =>
        TheSingleBeforeRegex().IsMatch(text[..h.Start]) && RelativeAfterRegex().IsMatch(text[h.End..]);

    private static bool WhichBefore(string text, LexiconHit h) =>
        WhichBeforeRegex().IsMatch(text[..h.Start]);

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

    /// <summary>"the ratio of bugs to stories", "bug-to-story ratio", "for every story, how many bugs": one value counted over another.</summary>
    [GeneratedRegex(@"\bratios? (?:of|between)\b|\b\w+[ -]to[ -]\w+ ratios?\b|\bfor (?:every|each) (?:single )?(?:stor(?:y|ies)|bugs?|defects?|tasks?|issues?|tickets?|epics?|prs?|pull requests?|deployments?|deploys?|incidents?|releases?)\b[^?]{0,60}?how many\b")]
    private static partial Regex RatioRegex();

    private static bool IsEpicPoints(LexiconHit h) =>
        h.Entry is { Kind: ConceptKind.Attribute, Entity: EntityKind.Epic } && h.Entry.Target.StartsWith("children_points", StringComparison.Ordinal)
        && !h.Text.Contains("epic", StringComparison.Ordinal) && !h.Text.Contains("child", StringComparison.Ordinal);

    [GeneratedRegex(@"^(?:reported|filed|raised|logged|submitted|created|opened|wrote|written)$")]
    private static partial Regex ReporterVerb();

    [GeneratedRegex(@"\b(?:share|percentage|percent|fraction|proportion|%) of (?:the |our |all (?:the |our )?)?$")]
    private static partial Regex ShareOf();

    [GeneratedRegex(@"\b(?:average|avg|mean|typical)\b.*\b(?:issues|tickets|stories|tasks|bugs|items|children|child issues|child tickets) (?:per|in each|in an?|for each|for every|across) (?:open |active |done |closed |completed |finished )?epics?\b")]
    private static partial Regex AveragePerEpic();

    [GeneratedRegex(@"\b(?:each|every|per) (?:of )?(?:the )?(?:last|past|previous) \d+ (?:whole |full |complete |completed )?(week|month|quarter)s\b")]
    private static partial Regex EachPeriod();

    [GeneratedRegex(@"\b(?:which|what) (?:\w+ )?(?:epic|pr|pull request|issue|ticket|deployment|deploy|incident|bug|story|task)s?\b")]
    private static partial Regex WhichEntity();

    [GeneratedRegex(@"\b(?:per|a|each|every) (?:day|week|month|quarter)\b|\bweekly\b|\bmonthly\b|\bdaily\b")]
    private static partial Regex RateRegex();

    /// <summary>A request for rows: "list …", "show me …", "what are the …", "which … are" at the start (after a polite wrapper).</summary>
    [GeneratedRegex(@"^(?:(?:please|pls|can you|could you|would you|can i see|i'd like to see|i want to see)\s+)*(?:list|show(?: me)?|give me|name|display|enumerate|pull up|what are|which are|which)\b")]
    private static partial Regex ListVerb();

    [GeneratedRegex(@"^\s+(?:under|beneath|below|inside|within)\s+(?:it|them|each|that|this|the|an?)\b|^\s+in\s+(?:it|them)\b")]
    private static partial Regex UnderEpicRegex();

    [GeneratedRegex(@"\b(?:started|begun|began|kicked off)\b")]
    private static partial Regex StartedRegex();

    // The fixed patterns of this reader, generated at build time: through the static Regex methods they shared .NET's
    // 15-entry regex cache with the per-name patterns and were rebuilt on most questions.
    [GeneratedRegex(@"(?<=\p{L})-to-(?=\p{L})")]
    private static partial Regex WordToWordRegex();

    [GeneratedRegex(@"^epics?$")]
    private static partial Regex EpicWordRegex();

    [GeneratedRegex(@"[,;?]|\b(?:and|but|while|whereas)\b")]
    private static partial Regex ClauseBreakRegex();

    [GeneratedRegex(@"^(week|weeks|month|months|quarter|quarters)$")]
    private static partial Regex GrainWordRegex();

    [GeneratedRegex(@"^\s*(?:breakdown|split|distribution|mix)\b")]
    private static partial Regex BreakdownAfterRegex();

    [GeneratedRegex(@"(?:^|[,;:?.!]\s*)$")]
    private static partial Regex ClauseStartRegex();

    [GeneratedRegex(@"(?:^|\bthe\s+(?:(?:single|one|only|sole|lone)\s+)?)$")]
    private static partial Regex TheSingleBeforeRegex();

    [GeneratedRegex(@"^\s*(?:with|that|whose|which)\b")]
    private static partial Regex RelativeAfterRegex();

    [GeneratedRegex(@"\b(which|what)\s+(?:\w+\s+){0,1}$")]
    private static partial Regex WhichBeforeRegex();
}
