using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>
/// One question read through the semantic layer: tenant names and the time window first, then the
/// lexicon's phrases (longest leftmost; one span may carry several candidate meanings, chosen by the
/// entity), then the reading is assembled from the phrases — entity, conditions, thresholds, measure,
/// grouping, ordering — and every word that no part of the reading used, and that is not a function
/// word, is named in a refusal.
/// </summary>
internal sealed partial class Reader(SemanticModel model, string original, string lower, TenantVocabulary vocabulary, DateOnly today, EntityKind? context)
{
    public string Question { get; init; } = "";

    private readonly StringBuilder _work = new(lower);
    private readonly List<(int At, string Text)> _understood = [];
    private readonly List<EntityFilter> _filters = [];
    private List<Slot> _slots = [];

    /// <summary>Phrases a longer overlapping phrase hid when the question was segmented ("resolved" inside "got resolved").</summary>
    private readonly List<(int Start, int End, string Text, LexiconEntry Entry)> _hidden = [];

    private sealed class Slot(int start, int end, string text)
    {
        public int Start { get; } = start;
        public int End { get; set; } = end;
        public string Text { get; } = text;
        public List<LexiconEntry> Entries { get; } = [];
        public decimal? Number { get; init; }
        public bool Used { get; set; }

        public bool Has(ConceptKind k) => Entries.Any(e => e.Kind == k);
        public IEnumerable<LexiconEntry> Of(ConceptKind k) => Entries.Where(e => e.Kind == k);
        public LexiconEntry? First(ConceptKind k, string? target = null) => Entries.FirstOrDefault(e => e.Kind == k && (target is null || e.Target == target));
        public override string ToString() => Text;
    }

    // ---- entry ------------------------------------------------------------------------------

    public ParsedQuestion Read()
    {
        // "bugs in vs bugs out", "tickets in and out last month": what came in (created) and what went out (completed) — two measures
        // of two events, which one answer would drop (dev-extension-8: answered with the created count alone). Refused, naming both.
        if (InAndOutRegex().Match(lower) is { Success: true } inOut)
        {
            return Refuse(RefusalKind.Unsupported,
                $"'{inOut.Value.Trim()}' asks for two numbers at once — the rows that came in (created) and those that went out (completed); "
                + "I answer one measure at a time. Ask for each, e.g. \"bugs created last month\" and \"bugs completed last month\".");
        }
        var windows = TimeWindowParser.ParseAll(lower, today);
        if (windows.Count > 1)
        {
            return Refuse(RefusalKind.Unsupported,
                $"The question names {windows.Count} periods ({string.Join(" and ", windows.Select(w => w.Window.Label))}); I answer for one period at a time. Ask for each period, or group by month or week.");
        }
        TimeWindow? window = null;
        if (windows.Count == 1)
        {
            window = windows[0].Window;
            // "in each of the last 3 complete months": one row per month of the period.
            if (EachOfRegex().IsMatch(lower.Substring(windows[0].Index, windows[0].Length)) && window.Code.Contains("_complete_", StringComparison.Ordinal))
            {
                _eachPeriod = window.Code.EndsWith("week", StringComparison.Ordinal) || window.Code.EndsWith("weeks", StringComparison.Ordinal) ? Dimension.Week
                    : window.Code.Contains("quarter", StringComparison.Ordinal) ? Dimension.Quarter : Dimension.Month;
            }
            // "this month vs last month": one window over both periods, one row per period.
            if (window.Code.StartsWith(TimeWindowParser.ComparedPrefix, StringComparison.Ordinal))
            {
                _comparedPeriods = window.Code[TimeWindowParser.ComparedPrefix.Length..] switch { "week" => Dimension.Week, "quarter" => Dimension.Quarter, _ => Dimension.Month };
            }
            _windowStart = windows[0].Index;
            _windowText = lower.Substring(windows[0].Index, windows[0].Length).Trim();
            Blank(windows[0].Index, windows[0].Length);
            _understood.Add((windows[0].Index, window.Label));
        }

        var unknownNames = new List<string>();
        Names.Extract(original, _work, vocabulary, _filters, unknownNames, _understood);
        if (unknownNames.Count > 0)
        {
            return Refuse(RefusalKind.UnknownEntity, string.Join("; ", unknownNames));
        }

        // "…, counting unknown as not over 10": a share of a threshold over every row, the unknown rows outside it. Read here so
        // that the threshold said again is no second threshold; checked against the share once it is read (ShareConvention).
        if (Words.CountingUnknownAsOutside().Match(_work.ToString()) is { Success: true } counting)
        {
            _countingUnknown = (counting.Index, counting.Value, counting.Groups["rest"].Value);
            Blank(counting.Index, counting.Length);
        }

        var followUp = false;
        foreach (Match m in FollowUpRegex().Matches(_work.ToString()))
        {
            followUp = true;
            Blank(m.Index, m.Length);
        }

        // "break our open tickets down by team": a display verb around what is shown ("down" is a function word).
        foreach (Match m in BreakDownRegex().Matches(_work.ToString()))
        {
            Blank(m.Index, m.Length);
        }

        // "all time", "of all time": no period — every row, as a question without one.
        foreach (Match m in AllTimeRegex().Matches(_work.ToString()))
        {
            Blank(m.Index, m.Length);
        }

        // "how many incidents did we manage to resolve", "were we able to close": the effort said around a verb restricts nothing.
        foreach (Match m in ManagedToRegex().Matches(_work.ToString()))
        {
            Blank(m.Index, m.Length);
        }

        // "How has lead time changed month by month?": the verb asks for a trend.
        if (TrendVerbRegex().Match(_work.ToString()) is { Success: true } verb)
        {
            _trendVerb = true;
            Blank(verb.Groups["v"].Index, verb.Groups["v"].Length);
        }

        _slots = Segment(_work.ToString());

        // "a single PR", "the single repo with the most …", "any single epic": emphasis on one row of the noun (the
        // singular already says one). Only before an entity or grouping noun: "PRs with a single commit" is a threshold.
        foreach (var noun in _slots.Where(s => s.Has(ConceptKind.Entity) || s.Has(ConceptKind.Grouping)))
        {
            if (SingleBeforeRegex().Match(_work.ToString()[..noun.Start]) is { Success: true } single)
            {
                Blank(single.Groups["w"].Index, single.Groups["w"].Length);
            }
        }
        return Interpret(window, followUp);
    }

    // ---- segmentation -------------------------------------------------------------------------

    private List<Slot> Segment(string text)
    {
        var hits = model.Lexicon.ScanNormalized(text, today).Where(h => h.Entry.Kind != ConceptKind.Window).ToList();
        foreach (var (pattern, type) in IssueTypeWords)
        {
            foreach (Match m in pattern.Matches(text))
            {
                var canonical = vocabulary.IssueTypes.FirstOrDefault(t => string.Equals(t, type, StringComparison.OrdinalIgnoreCase)) ?? type;
                hits.Add(new LexiconHit(new LexiconEntry(ConceptKind.Filter, canonical, pattern.ToString())
                    { Entity = EntityKind.Issue, Filter = FilterKind.IssueType, Label = canonical }, m.Index, m.Length, m.Value));
            }
        }
        var numbers = new List<Slot>();
        foreach (Match m in NumberRegex().Matches(text))
        {
            var value = m.Groups["d"].Success
                ? decimal.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture)
                : TimeWindowParser.ParseCount(m.Groups["w"].Value) ?? WordNumber(m.Groups["w"].Value);
            numbers.Add(new Slot(m.Index, m.Index + m.Length, m.Value) { Number = value });
        }
        var ordered = hits.Select(h => (h.Start, End: h.End, h.Text, Entry: (LexiconEntry?)h.Entry, Number: (Slot?)null))
            .Concat(numbers.Select(n => (n.Start, n.End, n.Text, Entry: (LexiconEntry?)null, Number: (Slot?)n)))
            .OrderBy(h => h.Start).ThenByDescending(h => h.End - h.Start)
            .ToList();
        var slots = new List<Slot>();
        foreach (var h in ordered)
        {
            var same = slots.FirstOrDefault(s => s.Start == h.Start && s.End == h.End);
            if (same is not null)
            {
                if (h.Entry is not null && !same.Entries.Contains(h.Entry))
                {
                    same.Entries.Add(h.Entry);
                }
                continue;
            }
            if (slots.Any(s => s.Start < h.End && h.Start < s.End))
            {
                if (h.Entry is not null)
                {
                    _hidden.Add((h.Start, h.End, h.Text, h.Entry));
                }
                continue;
            }
            if (h.Number is not null)
            {
                slots.Add(h.Number);
                continue;
            }
            var slot = new Slot(h.Start, h.End, h.Text);
            slot.Entries.Add(h.Entry!);
            slots.Add(slot);
        }
        return [.. slots.OrderBy(s => s.Start)];
    }

    private static decimal? WordNumber(string w) => w switch
    {
        "eleven" => 11,
        "fifteen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "fifty" => 50,
        "hundred" or "a hundred" => 100,
        _ => null,
    };

    // ---- interpretation -----------------------------------------------------------------------

    private ParsedQuestion Interpret(TimeWindow? window, bool followUp)
    {
        // 1. Grouping cues: "by team" is a grouping, "per PR" an average over PRs, "by merged PRs" a ranking.
        Dimension? cueDimension = null;
        Slot? cueGroupingSlot = null;
        var perEntity = false;
        Slot? perEntitySlot = null;
        foreach (var cue in _slots.Where(s => s.Has(ConceptKind.GroupingCue)).ToList())
        {
            if (cue.First(ConceptKind.GroupingCue, "trend") is not null)
            {
                continue;
            }
            var next = Next(cue);
            if (next is null)
            {
                continue;
            }
            if (IsPer(cue) && (next.Has(ConceptKind.Filter) || next.Has(ConceptKind.Event)) && !next.Has(ConceptKind.Grouping)
                && Next(next) is { } noun && (noun.Has(ConceptKind.Entity) || noun.Entries.Any(x => x.Filter == FilterKind.IssueType)))
            {
                // "per open epic": an average over the entity, with a condition on it.
                perEntity = true;
                perEntitySlot = noun;
                cue.Used = true;
                continue;
            }
            if (IsPer(cue) && next.Of(ConceptKind.Entity).Any(x => x.Entity == EntityKind.Epic)
                && (AveragedChildIssueNoun() is not null || AggregatedOverRows() && _slots.Any(s => s.Of(ConceptKind.Attribute).Any(a => a.Entity == EntityKind.Epic && a.Target.StartsWith("children", StringComparison.Ordinal)))))
            {
                // "average number of issues per epic": an average over the epics of their child issues, not issues grouped by epic.
                perEntity = true;
                perEntitySlot = next;
                cue.Used = true;
                next.Entries.RemoveAll(x => x.Kind == ConceptKind.Grouping);
                continue;
            }
            if (next.Has(ConceptKind.Grouping) && !(IsPer(cue) && next.Has(ConceptKind.Entity) && !next.Has(ConceptKind.Grouping)))
            {
                // "per epic" is a grouping for issues; an entity noun after "per" with no grouping reading is an average.
                var d = next.Of(ConceptKind.Grouping).First().Dimension!.Value;
                if (cueDimension is { } existing && existing != d)
                {
                    return Refuse(RefusalKind.Unsupported,
                        $"The question groups by both {model.Dimension(existing).Label} and {model.Dimension(d).Label}; I group by one thing at a time.");
                }
                cueDimension = d;
                cueGroupingSlot = next;
                _cue = cue;
                cue.Used = true;
                next.Used = true;
                next.Entries.RemoveAll(e => e.Kind == ConceptKind.Entity);
                continue;
            }
            if (IsPer(cue) && (next.Has(ConceptKind.Entity) || next.Entries.Any(x => x.Filter == FilterKind.IssueType)) && !next.Has(ConceptKind.Grouping))
            {
                perEntity = true;
                perEntitySlot = next;
                cue.Used = true;
                continue;
            }
            if (AcrossRegex().IsMatch(cue.Text) && RowsAfterConditions(next) is { } rows && (rows.Has(ConceptKind.Entity) || rows.Entries.Any(x => x.Filter == FilterKind.IssueType))
                && (!rows.Has(ConceptKind.Grouping) || rows != next))
            {
                // "total additions across all pull requests merged last week": the rows measured, not a grouping.
                cue.Used = true;
                continue;
            }
            if (cue.Text is "by" && (next.Has(ConceptKind.Metric) || next.Has(ConceptKind.Attribute) || next.Has(ConceptKind.Event)
                                     || next.Has(ConceptKind.Entity) || next.Has(ConceptKind.Measure) || next.Has(ConceptKind.Filter)))
            {
                // "top 5 developers by merged PRs": ranked by the measure the question names.
                cue.Used = true;
            }
        }

        // 2. The entity: a metric's, the one named, or the one the other words imply.
        var entity = ChooseEntity(out var metric, out var entityProblem);
        if (entityProblem is not null)
        {
            return Refuse(RefusalKind.Unsupported, entityProblem);
        }
        if (entity is null)
        {
            // Known words that fit no entity are not "unknown"; what is left is.
            foreach (var s in _slots.Where(s => s.Entries.Count > 0 || s.Number is not null))
            {
                Blank(s.Start, s.End - s.Start);
            }
            return new ParsedQuestion
            {
                NeedsContext = true,
                FollowUpCue = followUp,
                Window = window,
                Filters = _filters,
                Question = Question,
                Vocabulary = vocabulary,
                Understood = Understood(),
                Unknown = LeftoverWords(),
            };
        }
        var e = model.Entity(entity.Value);
        if (e.Kind == EntityKind.Epic && metric is null)
        {
            ChildIssuesAveraged();
            ChildIssuesRanked(window);
        }
        foreach (var s in _slots)
        {
            s.Entries.RemoveAll(x => !Fits(x, e.Kind));
        }
        Unhide(e.Kind);
        if (e.Kind == EntityKind.Epic && metric is null)
        {
            Containment();
        }
        foreach (var s in _slots.Where(s => s.Has(ConceptKind.Entity)))
        {
            s.Used = true;
            Understand(s, e.Plural);
        }
        foreach (var f in _filters.Where(f => !model.FiltersOf(Probe(e.Kind)).Contains(f.Kind)))
        {
            return Refuse(RefusalKind.UnsupportedDimension, $"{Cap(e.Plural)} can't be filtered by {model.DimensionOf(f.Kind).Label} ({string.Join(", ", f.Values)}).");
        }

        // 3. Conditions: thresholds, predicates, dimension values.
        var conditions = new List<(int At, Condition Condition)>();
        var thresholdProblem = ReadThresholds(e, conditions);
        if (thresholdProblem is not null)
        {
            return Refuse(RefusalKind.Unsupported, thresholdProblem);
        }
        var values = new List<(int At, EntityFilter Filter)>();
        // A word that is both an event and a state ("merged", "resolved") dates the rows: the event reading wins.
        // A condition right before related rows ("open child tickets") is on those rows, which a measure of the entity can't apply.
        foreach (var s in _slots.Where(s => !s.Used && s.Has(ConceptKind.Filter) && !s.Has(ConceptKind.Event) && !BeforeRelatedRows(s, e)))
        {
            var entry = s.Of(ConceptKind.Filter).First();
            s.Used = true;
            // One phrase may name several values of one filter ("unsuccessful" deployments: failed and rolled back): all of them.
            var named = s.Of(ConceptKind.Filter).Where(x => entry.Filter is { } k && x.Filter == k).ToList();
            Understand(s, string.Join(" or ", named.Count > 0 ? named.Select(x => x.Label).Distinct() : [entry.Label]));
            if (entry.Filter is { } kind)
            {
                values.Add((s.Start, new EntityFilter(kind, [.. named.Select(x => x.Target).Distinct()])));
            }
            else
            {
                conditions.Add((s.Start, Condition.Of(entry.Target)));
            }
        }

        // "(failures plus rollbacks)", "sev1 + sev2 incidents": "plus" between two values of one filter adds them to the rows, as "and"/"or"
        // between values does (a number after "plus" is a threshold's, read before; anything else around it stays unread).
        foreach (var plus in _slots.Where(x => !x.Used && x.Text is "plus" or "+" && x.Has(ConceptKind.Comparator)))
        {
            if (Previous(plus) is { Used: true } a && Next(plus) is { Used: true } b
                && a.Of(ConceptKind.Filter).FirstOrDefault()?.Filter is { } ka && ka == b.Of(ConceptKind.Filter).FirstOrDefault()?.Filter)
            {
                plus.Used = true;
            }
        }

        // "haven't been merged or closed": a state after "or" continuing a negated one — whether the negation carries over is not read;
        // "merged or closed PRs": a union of two conditions, which the plan (conditions all hold) cannot say. Refused, never ANDed.
        foreach (var s in _slots.Where(s => (s.Has(ConceptKind.Filter) || s.Has(ConceptKind.Event)) && OrBeforeRegex().IsMatch(_work.ToString()[..s.Start])))
        {
            if (Previous(s) is { } p && (NegatedRegex().IsMatch(p.Text)
                || p.Of(ConceptKind.Filter).Any(x => x.Filter is null) && s.Of(ConceptKind.Filter).Any(x => x.Filter is null)))
            {
                return Refuse(RefusalKind.Unsupported, $"'{p.Text} or {s.Text}': I can't answer for either of two conditions at once (or tell whether a negation covers both); ask for each, e.g. \"{p.Text}\" alone.");
            }
        }

        // "severity 1 or 2": a bare number continuing a list of severities.
        foreach (var n in _slots.Where(x => !x.Used && x.Number is { } v && v == Math.Floor(v)))
        {
            if (Previous(n) is { } p && p.Entries.Any(x => x.Filter == FilterKind.Severity) && model.Binding(Dimension.Severity, e.Kind)?.Values.FirstOrDefault(v => v.Value == $"sev{n.Number}") is { } sev)
            {
                n.Used = true;
                values.Add((n.Start, new EntityFilter(FilterKind.Severity, [sev.Value])));
            }
        }

        // 4. Events pick the time column (and conditions: merged, done).
        // A state or event word right before related rows ("done children") is said of those rows, not of the entity: left unread.
        // "hours to resolve", "how long did they take to close": the verb ends the duration measured, it dates nothing.
        foreach (var s in _slots.Where(s => !s.Used && s.Has(ConceptKind.Event) && Words.EndsDuration(lower[..s.Start])
                                             && _slots.Any(d => d.First(ConceptKind.Measure, "duration") is not null)))
        {
            s.Used = true;
        }
        var events = _slots.Where(s => !s.Used && s.Has(ConceptKind.Event) && !BeforeRelatedRows(s, e)).ToList();
        // "What percentage of bugs are done?", "what share of PRs were merged without review?": in a share, an event verb said of the
        // rows with a copula ("are", "were", "got") is their state — the share asked, or the population before another condition —
        // never the time that dates them. With a period and no other event to date it, which rows the period picks is not said.
        EventDef Own(Slot s) => e.Event(s.Of(ConceptKind.Event).First().Target)!;
        if (_slots.Any(s => !s.Used && s.First(ConceptKind.Measure, "share") is not null))
        {
            // Without a period, an event right after the rows ("percentage of epics completed", "share of PRs merged") is their state too.
            foreach (var s in events.Where(x => IsPredicateState(x) || window is null && RightAfterRows(x)).ToList())
            {
                if (window is not null && events.Count == 1)
                {
                    return Refuse(RefusalKind.Unsupported,
                        $"The question asks a share of {e.Plural} that were {Own(s).Label} and names a period: I can't tell whether the period picks the {e.Plural} by when they were created or by when they were {Own(s).Label}. Ask e.g. \"share of {e.Plural} created {window.Label} that are {Own(s).Label}\".");
                }
                var own = Own(s);
                var time = e.Attribute(own.TimeAttribute)!.Expression;
                var states = own.Conditions.Where(c => own.Conditions.Count == 1 || e.Predicate(c)!.Sql != $"{time} IS NOT NULL").ToList();
                if (states.Count != 1)
                {
                    continue;
                }
                events.Remove(s);
                s.Used = true;
                Understand(s, e.Predicate(states[0])!.Label);
                conditions.Add((s.Start, Condition.Of(states[0])));
            }
        }
        // "PRs merged vs opened last month", "bugs created versus fixed": two events (or states) compared are two counts side by side;
        // one of them would otherwise date the rows and the other become their condition (the merged ones among those opened).
        static bool EventOrState(Slot x) => x.Has(ConceptKind.Event) || x.Of(ConceptKind.Filter).Any(f => f.Filter is null);
        foreach (var s in _slots.Where(EventOrState))
        {
            if (Next(s) is { } other && EventOrState(other) && ComparedRegex().IsMatch(lower[s.End..other.Start]))
            {
                return Refuse(RefusalKind.Unsupported,
                    $"'{s.Text}' and '{other.Text}' are compared: two counts of {e.Plural} side by side, which I answer one at a time. Ask e.g. \"how many {e.Plural} were {Bare(s.Text)}\" and then \"how many {e.Plural} were {Bare(other.Text)}\".");
            }
        }
        var eventNames = events.Select(s => s.Of(ConceptKind.Event).First().Target).Distinct().ToList();
        // The window dates the rows by the event it is said of, as the validation service's judge reads it: "PRs opened this
        // year that were closed without merging" is dated by opening and keeps the closing as a condition; with one event
        // ("PRs closed this year", "this year's PRs that were closed", "last month's incidents that got resolved") by that
        // event's own time column (closed_at, resolved_at …), never by the rows' creation. Several events and no window beside
        // one of them: which time is meant is not said — refused.
        EventDef? ev = null;
        if (eventNames.Count > 1)
        {
            var dating = window is null ? null : DatingEvent(events);
            if (dating is null)
            {
                return Refuse(RefusalKind.Unsupported,
                    $"The question names several events of {e.Plural} ({string.Join(", ", eventNames)}); I can date {e.Plural} by one of them at a time.");
            }
            ev = e.Event(dating.Of(ConceptKind.Event).First().Target);
        }
        else if (eventNames.Count == 1)
        {
            ev = e.Event(eventNames[0]);
        }
        foreach (var s in events)
        {
            var own = e.Event(s.Of(ConceptKind.Event).First().Target)!;
            if (own != ev && own.Conditions.Count == 0)
            {
                // "how many epics were closed last month vs created": a second event that neither dates the rows nor says a state
                // of them ("created") would be read as nothing — left over, so the question is refused, never half-answered.
                continue;
            }
            s.Used = true;
            Understand(s, own.Label);
            if (own != ev)
            {
                // An event that does not date the rows still says which rows: closed without merging, merged, done — its
                // state, without the "has a time" condition that only dating needs when a state says it ("done", not also
                // "with a completion time").
                var time = e.Attribute(own.TimeAttribute)!.Expression;
                var states = own.Conditions.Where(c => own.Conditions.Count == 1 || e.Predicate(c)!.Sql != $"{time} IS NOT NULL");
                conditions.AddRange(states.Select(c => (s.Start, Condition.Of(c))));
            }
        }

        // A period no event dates, said with a state the data keeps only as of today or with an act it keeps no time of, is not read
        // (docs/agent.md, "Which time dates the rows"): refused, never dated by creation.
        if (window is not null && ev is null && UndatedPeriod(e, conditions, window) is { } undated)
        {
            return Refuse(RefusalKind.Unsupported, undated);
        }

        // 5. The measure.
        var measure = ReadMeasure(e, metric, ev, conditions, values, perEntity, perEntitySlot, cueDimension, out var subset, out var listing, out var rateUnit, out var measureProblem);
        if (measureProblem is not null)
        {
            return Refuse(RefusalKind.Unsupported, measureProblem);
        }

        // 6. Grouping: after a cue, else a bare grouping noun ("which team", "weekly", "who").
        var dimension = _rateTookCue ? null : cueDimension;
        if (_rateTookCue)
        {
            cueGroupingSlot = null;
        }
        var trend = _slots.FirstOrDefault(s => !s.Used && s.First(ConceptKind.GroupingCue, "trend") is not null);
        var singular = false;
        foreach (var s in _slots.Where(s => !s.Used && s.Has(ConceptKind.Grouping)))
        {
            var d = s.Of(ConceptKind.Grouping).First().Dimension!.Value;
            if (listing && !model.Dimension(d).IsTime)
            {
                continue;
            }
            if (model.Dimension(d).IsTime && measure is { Unit: "days" or "hours" } && InBeforeRegex().IsMatch(lower[..s.Start]))
            {
                // "average lead time in weeks": a unit asked, not a grouping by week — the layer's duration is in its own unit.
                return Refuse(RefusalKind.Unsupported, $"'{s.Text}' after 'in' asks for a unit: {measure.Title.ToLowerInvariant()} is measured in {measure.Unit}, and I don't convert it.");
            }
            if (dimension is { } existing && existing != d)
            {
                return Refuse(RefusalKind.Unsupported,
                    $"The question groups by both {model.Dimension(existing).Label} and {model.Dimension(d).Label}; I group by one thing at a time.");
            }
            dimension = d;
            s.Used = true;
            singular |= IsSingularGrouping(s);
        }
        if (cueGroupingSlot is not null)
        {
            singular |= IsSingularGrouping(cueGroupingSlot);
        }
        if (dimension is null && _eachPeriod is { } each && !listing)
        {
            dimension = each;
        }
        // "Who reported the most bugs", "which five people filed the most defects": the person who creates an issue is its reporter
        // (issues.reporter_id), never its assignee — a grouping by assignee would answer another question. Epics are grouped by
        // assignee only: refused there.
        if (dimension == Dimension.Assignee && e.Kind is EntityKind.Issue or EntityKind.Epic
            && events.FirstOrDefault(s => s.Of(ConceptKind.Event).Any(x => x.Target == "created") && ReporterVerbRegex().IsMatch(s.Text)) is { } reported
            && !_slots.Any(s => s.Of(ConceptKind.Grouping).Any(x => x.Dimension == Dimension.Assignee) && s.Text.StartsWith("assignee", StringComparison.Ordinal)))
        {
            if (model.Binding(Dimension.Reporter, e.Kind) is null)
            {
                return Refuse(RefusalKind.Unsupported,
                    $"Who {reported.Text} {e.Plural} is their reporter; I group {e.Plural} by their assignee only. Ask e.g. \"which assignees have the most {e.Plural} created …\".");
            }
            dimension = Dimension.Reporter;
        }
        if (_comparedPeriods is { } compared)
        {
            // Two periods compared are one row each: with another grouping, a listing or a rate the rows would mix both periods.
            if (listing || dimension is { } other && other != compared || rateUnit is not null || measure?.Aggregation == Aggregation.RatePerDay || _averagePerGroup)
            {
                return Refuse(RefusalKind.Unsupported,
                    $"The question compares two periods ({window!.Label}); I answer that one row per {model.Dimension(compared).Label} of a count, total, average or share, not with {(listing ? "a listing of rows" : dimension is { } d && d != compared ? "a grouping by " + model.Dimension(d).Label : "a rate")}. Ask for each period.");
            }
            dimension = compared;
        }
        if (trend is not null || _trendVerb)
        {
            if (trend is not null)
            {
                trend.Used = true;
            }
            if (dimension is null)
            {
                dimension = Dimension.Month;
            }
            else if (!model.Dimension(dimension.Value).IsTime)
            {
                return Refuse(RefusalKind.Unsupported, $"A trend is over time; the question also groups by {model.Dimension(dimension.Value).Label}. Ask for one of them.");
            }
        }
        // "How many story points do we finish per week on average?", "average lines added per week": an average of an amount with a
        // time grouping is either the average per row in each week or the weekly totals averaged — the words do not say which.
        // "per PR", "per issue" say the rows; a duration ("average lead time per month") has no total: both are read.
        if (measure is { Aggregation: Aggregation.Avg, Attribute: { } averaged } && e.Attribute(averaged) is { Type: AttributeType.Number, Unit: not ("days" or "hours") } amount
            && dimension is { } timeGrain && model.Dimension(timeGrain).IsTime && !perEntity && !listing && trend is null && !_trendVerb)
        {
            var grain = model.Dimension(timeGrain).Label;
            // Offered in the question's own words for the amount (the layer's label is not always a phrase the reader reads).
            var said = _slots.FirstOrDefault(s => s.Of(ConceptKind.Attribute).Any(x => x.Target == averaged))?.Text ?? amount.Label;
            return Refuse(RefusalKind.Unsupported,
                $"An average of {amount.Label} per {grain} may be the average per {e.Singular} in each {grain} or the {grain}ly totals averaged; the question does not say which. "
                + $"Ask e.g. \"average {said} per {e.Singular}, by {grain}\" or \"total {said} per {grain}\".");
        }
        if (dimension is { } dd)
        {
            var def = model.Dimension(dd);
            _understood.Add((cueGroupingSlot?.Start ?? 0, "by " + def.LabelFor(e.Kind)));
        }

        // 7. Ordering and limits.
        var grouped = dimension is not null || measure?.OnlyDimensions is not null || measure is { DefaultDimension: not Dimension.None };
        var (order, limit, orderProblem) = ReadOrder(measure, e, grouped, listing, singular, dimension);
        if (orderProblem is not null)
        {
            return Refuse(RefusalKind.Unsupported, orderProblem);
        }
        // 8. Qualifiers: "big PRs (over 30 files)" — explained by a size threshold, else unknown.
        ExplainQualifiers(conditions);
        // "low-severity (sev3 or sev4) incidents": a severity qualifier is explained by the severities the question names, else left over.
        if (values.Any(v => v.Filter.Kind == FilterKind.Severity))
        {
            foreach (Match m in SeverityQualifierRegex().Matches(_work.ToString()))
            {
                Blank(m.Index, m.Length);
            }
        }
        // "average epic lead time, in days": the unit the measure is in already (another unit is left over: refused, never relabelled).
        if (measure is { Unit: "days" or "hours" } && !listing)
        {
            foreach (Match m in InUnitRegex().Matches(_work.ToString()))
            {
                if (m.Groups["u"].Value.TrimEnd('s') == measure.Unit.TrimEnd('s'))
                {
                    Blank(m.Index, m.Length);
                }
            }
        }

        // 9. Coverage: every used phrase is blanked; whatever is left must be function words.
        foreach (var s in _slots.Where(s => s.Used))
        {
            Blank(s.Start, s.End - s.Start);
        }
        var unknown = LeftoverWords();
        var filters = MergeValues(_filters, values.Select(v => v.Filter));
        var slotTrace = string.Join(" | ", _slots.Select(x => $"{x.Text}@{x.Start}-{x.End}{(x.Used ? "+" : "-")}[{string.Join(",", x.Entries.Select(en => en.Kind + ":" + en.Target))}]"));
        if (unknown.Count > 0)
        {
            var name = OtherName(unknown);
            return new ParsedQuestion
            {
                Refusal = name is not null ? RefusalKind.OtherTenant : RefusalKind.UnknownWords,
                RefusalReason = name is not null
                    ? $"'{name}' is not a team, project, repository or person of your organisation, and I only answer about your own organisation."
                    : null,
                Understood = Understood(),
                Unknown = unknown,
                Question = Question,
                Vocabulary = vocabulary,
                Slots = slotTrace,
            };
        }

        // "sev1 vs sev2 incidents", "bugs in vs bugs out", "open bugs: Mobile compared with Data": a comparison is answered one row per
        // thing compared — two values of one filter grouped by it ("mobile-app vs api-gateway" by repository; with no grouping asked the
        // comparison is the grouping: "sev1 vs sev2" was their sum before). Anything else compared (two measures, a value against all the
        // rest, values of one filter grouped by another) is refused, never answered with one figure. Two periods compared are the
        // window's (read first); a ratio's "to"/"against" is its divisor. After the leftover words: another organisation named is refused as that.
        if (ComparisonWordRegex().Match(_work.ToString()) is { Success: true } versus && measure?.Aggregation != Aggregation.Ratio)
        {
            var comparedValues = filters.FirstOrDefault(f => f.Values.Count >= 2);
            if (comparedValues is not null && (dimension ?? model.DimensionOf(comparedValues.Kind).Dimension) == model.DimensionOf(comparedValues.Kind).Dimension && !listing)
            {
                dimension = model.DimensionOf(comparedValues.Kind).Dimension;
            }
            else
            {
                return Refuse(RefusalKind.Unsupported, comparedValues is not null
                    ? $"'{versus.Value.Trim()}' compares {string.Join(" and ", comparedValues.Values)}, and the question also groups by {(dimension is { } other ? model.Dimension(other).Label : "row")}: I answer a comparison one row each, by what is compared. "
                      + $"Ask e.g. \"{ComparedAsGrouping(versus, model.DimensionOf(comparedValues.Kind).Label, dimension)}\"."
                    : $"'{versus.Value.Trim()}' compares two things I can't put side by side in one answer (two measures, or a part against the rest). Ask for each one apart.");
            }
        }

        var planConditions = conditions.OrderBy(c => c.At).Select(c => c.Condition).Distinct().ToList();
        // "issues in To Do, In Progress and Done": several states of the rows listed are a grouping or a union, never all at once
        // (a state and a part of it, "open tickets in progress", "closed without being merged", is one). Refused rather than answered with an empty AND.
        var rowStates = planConditions.Select(c => c.Predicate).Concat(measure?.Conditions ?? []).OfType<string>()
            .Where(x => e.Predicate(x)?.Group == "state").Distinct().ToList();
        if (rowStates.Count > 2 || rowStates.Count == 2 && !CompatibleStates.Any(pair => rowStates.Contains(pair.A) && rowStates.Contains(pair.B)))
        {
            return Refuse(RefusalKind.Unsupported, $"The question names several states of {e.Plural} at once ({string.Join(", ", rowStates.Select(x => e.Predicate(x)!.Label))}); ask for one, or group by status.");
        }
        if (ShareConvention(e, measure, subset ?? _numerator, planConditions, out var shareOpen) is { } convention)
        {
            return convention;
        }
        subset = shareOpen;
        return new ParsedQuestion
        {
            Metric = measure?.Key,
            Aggregate = measure is null ? _followUpAggregate : null,
            Dimension = dimension,
            Filters = filters,
            Conditions = planConditions,
            Subset = subset ?? _numerator,
            Denominator = _denominator,
            Window = window,
            Order = order,
            Limit = limit,
            RateUnitDays = rateUnit,
            AveragePerGroup = _averagePerGroup,
            FollowUpCue = followUp,
            Understood = Understood(),
            Question = Question,
            Vocabulary = vocabulary,
            Slots = slotTrace,
        };
    }

    // ---- entity -------------------------------------------------------------------------------

    private EntityKind? ChooseEntity(out MetricDef? metric, out string? problem)
    {
        metric = null;
        problem = null;
        var named = _slots.Where(s => s.Has(ConceptKind.Entity)).SelectMany(s => s.Of(ConceptKind.Entity)).Select(x => x.Entity!.Value).Distinct().ToList();
        if (_filters.Any(f => f.Kind == FilterKind.IssueType) || _slots.Any(s => s.Entries.Any(x => x.Filter == FilterKind.IssueType)))
        {
            if (!named.Contains(EntityKind.Issue) && !named.Contains(EntityKind.Epic))
            {
                named.Add(EntityKind.Issue);
            }
        }
        var metricSlots = _slots.Where(s => s.Has(ConceptKind.Metric)).ToList();
        if (metricSlots.Count > 0)
        {
            var candidates = metricSlots.SelectMany(s => s.Of(ConceptKind.Metric)).Select(x => model.Metric(x.Target)).Distinct().ToList();
            var chosen = candidates.FirstOrDefault(m => named.Contains(m.Entity)) ?? candidates.FirstOrDefault(m => m.Entity == context) ?? candidates[0];
            var others = named.Where(n => n != chosen.Entity && !(n == EntityKind.Issue && chosen.Entity == EntityKind.Epic)).ToList();
            if (others.Count == 1 && chosen.Polarity == Polarity.Duration && chosen.Attribute is not null
                && model.Listings.First(l => l.Name == "slowest").Attributes.TryGetValue(others[0], out var durationAttr))
            {
                // "lead time of PRs" is the PRs' own duration: time to merge.
                var other = model.Entity(others[0]);
                metric = model.Measure(other.Kind, chosen.Aggregation, durationAttr, null, [], DefaultTimeOfDuration(other));
                foreach (var s in metricSlots)
                {
                    s.Used = true;
                    Understand(s, metric.Title.ToLowerInvariant());
                }
                return other.Kind;
            }
            if (others.Count > 0)
            {
                problem = $"{chosen.Title} is measured on {model.Entity(chosen.Entity).Plural}, and the question is about {string.Join(" and ", others.Select(o => model.Entity(o).Plural))}; I can't combine them.";
                return null;
            }
            metric = chosen;
            foreach (var s in metricSlots.Where(s => s.Of(ConceptKind.Metric).Any(x => model.Metric(x.Target).Entity == chosen.Entity)))
            {
                s.Used = true;
                Understand(s, chosen.Title.ToLowerInvariant());
            }
            return chosen.Entity;
        }
        if (named.Count == 2 && named.Contains(EntityKind.Issue) && named.Contains(EntityKind.Epic))
        {
            named.Remove(EntityKind.Issue);
        }
        if (named.Count == 1)
        {
            return named[0];
        }
        if (named.Count > 1)
        {
            problem = $"The question is about {string.Join(" and ", named.Select(n => model.Entity(n).Plural))} at once; I measure one kind of row per question.";
            return null;
        }
        // Nothing named: what the other words fit.
        IEnumerable<EntityKind>? fit = null;
        foreach (var s in _slots.Where(s => s.Has(ConceptKind.Attribute) || s.Has(ConceptKind.Filter) || s.Has(ConceptKind.Event)))
        {
            var kinds = s.Entries.Where(x => x.Kind is ConceptKind.Attribute or ConceptKind.Filter or ConceptKind.Event && x.Entity is not null).Select(x => x.Entity!.Value).ToHashSet();
            // An epic's points are its child issues' ("open story points", "story points left"): said without an epic, the words are the
            // issues' own — they never make the rows epics by themselves.
            if (s.Of(ConceptKind.Attribute).Any(x => x.Entity == EntityKind.Epic && x.Target.StartsWith("children_points", StringComparison.Ordinal))
                && !s.Text.Contains("epic", StringComparison.Ordinal) && !s.Text.Contains("child", StringComparison.Ordinal))
            {
                kinds.Add(EntityKind.Issue);
            }
            fit = fit is null ? kinds : fit.Intersect(kinds).ToList();
        }
        // A grouping only some rows have ("PR authors", "incident severity") says which rows — when something else says
        // what to measure: a grouping alone ("by project instead") is a follow-up keeping the previous question's measure.
        // A ranking says so too ("top 5 PR authors": the authors' pull requests, counted).
        var measured = fit is not null || _slots.Any(s => s.Has(ConceptKind.Measure) || s.Of(ConceptKind.Order).Any(o => o.Target is "top" or "bottom" or "desc" or "asc"));
        foreach (var s in _slots.Where(s => measured && s.Has(ConceptKind.Grouping)))
        {
            var kinds = s.Of(ConceptKind.Grouping)
                .SelectMany(x => x.Entity is { } only ? [only] : model.Dimensions.Where(d => d.Dimension == x.Dimension && !d.IsTime).SelectMany(d => d.Bindings.Keys))
                .ToHashSet();
            if (kinds.Count > 0 && kinds.Count < model.Entities.Count)
            {
                fit = fit is null ? kinds : fit.Intersect(kinds).ToList();
            }
        }
        var fits = fit?.Distinct().ToList() ?? [];
        if (fits.Contains(EntityKind.Issue) && fits.Contains(EntityKind.Epic))
        {
            fits.Remove(EntityKind.Epic);
        }
        if (context is { } c && (fits.Count == 0 || fits.Contains(c)))
        {
            return c;
        }
        if (fits.Count == 1)
        {
            return fits[0];
        }
        if (fit is null && _slots.Any(s => s.Entries.Any(x => x.Kind == ConceptKind.Measure && x.Target == "duration" || x.Kind == ConceptKind.Order && x.Target is "slowest" or "fastest")))
        {
            // "what's the slowest team?", "how long do things take?": lead time of issues.
            return EntityKind.Issue;
        }
        return null;
    }

    private static string DefaultTimeOfDuration(EntityDef e) => e.Kind switch
    {
        EntityKind.PullRequest => "merged_at",
        EntityKind.Issue or EntityKind.Epic => "completed",
        _ => e.DefaultTime,
    };

    /// <summary>A metric of the entity, only to ask which filters the entity takes.</summary>
    private MetricDef Probe(EntityKind kind) => model.Metrics.First(m => m.Entity == kind && m.Custom is null);

    private bool Fits(LexiconEntry x, EntityKind entity) => x.Kind switch
    {
        ConceptKind.Grouping => x.Dimension is { } d && (model.Dimensions.Where(def => def.Dimension == d).Any(def => def.IsTime || def.Bindings.ContainsKey(entity)))
                                && (x.Entity is null || x.Entity == entity)
                                || x.Dimension == Dimension.Epic && entity == EntityKind.Epic,
        ConceptKind.Metric => model.Metric(x.Target).Entity == entity,
        _ => x.Entity is null || x.Entity == entity,
    };

    // ---- conditions ---------------------------------------------------------------------------

    private static readonly Regex UnitRegex = new(@"^\s*(?<u>hours?|hrs?|h|days?|d|weeks?|wks?|minutes?|mins?)\b", RegexOptions.CultureInvariant);

    /// <summary>
    /// "a day", "an hour" right after a comparator (<paramref name="after"/>) or right before one ("a day or less"): the number one
    /// of that unit, as a slot of its own (blanked here: no phrase of the layer reads the article).
    /// </summary>
    private Slot? ArticleNumber(string text, int at, bool after)
    {
        var m = after ? ArticleAfterRegex().Match(text[at..]) : ArticleBeforeUnitRegex().Match(text[..at]);
        if (!m.Success)
        {
            return null;
        }
        var start = (after ? at : 0) + m.Groups["a"].Index;
        var slot = new Slot(start, start + m.Groups["a"].Length, m.Groups["a"].Value) { Number = 1 };
        Blank(slot.Start, slot.End - slot.Start);
        return slot;
    }

    /// <summary>"more than 30 files", "changed files over 20", "at least 5 commits", "5+ commits", "between 3 and 10 files", "3 to 10 changed files", "took more than 10 days".</summary>
    private string? ReadThresholds(EntityDef e, List<(int At, Condition Condition)> conditions)
    {
        var text = _work.ToString();
        for (var i = 0; i < _slots.Count; i++)
        {
            var s = _slots[i];
            Comparison? cmp = null;
            Slot? n1 = null, n2 = null;
            var unitFirst = false;
            var consumed = new List<Slot>();
            if (s.Has(ConceptKind.Comparator) && !s.Used)
            {
                cmp = Enum.Parse<Comparison>(s.Of(ConceptKind.Comparator).First().Target);
                if (cmp == Comparison.Between)
                {
                    n1 = NextNumber(s);
                    n2 = n1 is null ? null : NextNumber(n1);
                    if (n1 is null || n2 is null)
                    {
                        continue;
                    }
                    consumed.AddRange([s, n1, n2]);
                }
                else
                {
                    // "within a day", "in under an hour": the article is the number one of the unit after it.
                    n1 = NextNumber(s) ?? ArticleNumber(text, s.End, after: true);
                    if (n1 is null)
                    {
                        // "5 or more commits": the number comes first; "24 hours or less", "a day or more": its unit between them.
                        var prev = Previous(s);
                        if (prev?.Number is not null && cmp is Comparison.AtLeast or Comparison.AtMost)
                        {
                            n1 = prev;
                        }
                        else if (cmp is Comparison.AtLeast or Comparison.AtMost && _slots.IndexOf(s) is > 0 and var at && _slots[at - 1] is { Number: not null } numberFirst
                                 && UnitOnlyRegex().IsMatch(text[numberFirst.End..s.Start]))
                        {
                            n1 = numberFirst;
                            unitFirst = true;
                        }
                        else if (cmp is Comparison.AtLeast or Comparison.AtMost && ArticleNumber(text, s.Start, after: false) is { } article)
                        {
                            n1 = article;
                            unitFirst = true;
                        }
                        else
                        {
                            continue;
                        }
                    }
                    consumed.AddRange([s, n1]);
                }
            }
            else if (s.Number is not null && !s.Used && Next(s) is { Number: not null } to && Between(s, to) is "to" or "-")
            {
                cmp = Comparison.Between;
                n1 = s;
                n2 = to;
                consumed.AddRange([s, to]);
            }
            if (cmp is null || n1 is null)
            {
                continue;
            }
            var last = consumed.MaxBy(x => x.End)!;
            // The attribute: right after the number(s), or before the comparator; or a time unit → the entity's duration.
            var unitAt = unitFirst ? n1.End : last.End;
            var unit = UnitRegex.Match(text[unitAt..]);
            AttributeDef? attribute = null;
            decimal scale = 1;
            if (unit.Success)
            {
                if (!model.Listings.First(l => l.Name == "slowest").Attributes.TryGetValue(e.Kind, out var durationName))
                {
                    return $"{Cap(e.Plural)} have no duration to compare with '{unit.Groups["u"].Value}'.";
                }
                // "epics open for more than 90 days", "PRs waiting for over a week": time spent in a state so far (an age), which
                // the layer does not hold — not the rows' lead time or time to merge, which only finished rows have.
                // "PRs open for more than two weeks", "open bugs (open >30 days)": the age of an open row up to now, from its creation —
                // only with the open state said (read below as a condition); of other states the age is not read.
                if (OpenForRegex().IsMatch(text[..consumed.MinBy(x => x.Start)!.Start]) && e.Attribute("age_days") is { } age
                    && _slots.Any(x => x.Of(ConceptKind.Filter).Any(f => f.Filter is null && OpenStates.Contains(f.Target))))
                {
                    attribute = age;
                }
                else if (InStateForRegex().Match(text[..consumed.MinBy(x => x.Start)!.Start]) is { Success: true } inState && !DurationVerbs.Contains(inState.Groups["w"].Value))
                {
                    return $"'{inState.Groups["w"].Value} for {text[consumed.MinBy(x => x.Start)!.Start..(unitAt + unit.Index + unit.Length)].Trim()}' is how long {e.Plural} have been in a state so far; I know only the {e.Attribute(durationName)!.Label} of finished {e.Plural}.";
                }
                attribute ??= e.Attribute(durationName)!;
                // In the attribute's own unit, exactly: "24 hours" of an hours attribute is 24, not 24.000…019 (1/24 · 24 in decimal).
                var hours = unit.Groups["u"].Value[0] switch { 'h' => 1m, 'w' => 168m, 'm' => 1m / 60, _ => 24m };
                scale = attribute.Unit == "hours" ? hours : hours == 1m / 60 ? 1m / 1440 : hours / 24;
                var unitEnd = unitAt + unit.Index + unit.Length;
                Blank(unitAt, unitEnd - unitAt);
                // The unit is the threshold's: "more than 2 weeks", "within a week" never also group by week.
                foreach (var inUnit in _slots.Where(x => x.Start >= unitAt && x.End <= unitEnd && x.Number is null))
                {
                    inUnit.Used = true;
                }
                // "within 24 hours of being opened", "in under 4 hours from creation": the duration's start, which the duration already
                // measures from (a PR's time to merge runs from its opening, an incident's time to resolve from its start).
                var thresholdEnd = Math.Max(unitEnd, last.End);
                if (DurationStartRegex().Match(text[thresholdEnd..]) is { Success: true } start)
                {
                    foreach (var x in _slots.Where(x => x.Start >= thresholdEnd + start.Index && x.End <= thresholdEnd + start.Index + start.Length))
                    {
                        x.Used = true;
                    }
                    Blank(thresholdEnd + start.Index, start.Length);
                }
                // "took", "take" around it are function words; "to merge" / "to resolve" are events already.
            }
            else
            {
                var after = Next(last);
                var before = Previous(consumed.MinBy(x => x.Start)!);
                if (after is not null && after.Has(ConceptKind.Attribute) && !after.Used)
                {
                    attribute = e.Attribute(after.Of(ConceptKind.Attribute).First().Target);
                    consumed.Add(after);
                }
                else if (before is not null && before.Has(ConceptKind.Attribute) && !before.Used)
                {
                    attribute = e.Attribute(before.Of(ConceptKind.Attribute).First().Target);
                    consumed.Add(before);
                }
            }
            if (attribute is null)
            {
                continue;
            }
            // Other mentions of the same attribute ("changed more than 20 files") belong to it.
            foreach (var same in _slots.Where(x => !x.Used && x.Of(ConceptKind.Attribute).Any(a => a.Target == attribute.Name)))
            {
                consumed.Add(same);
            }
            var values = n2 is null ? new[] { n1.Number!.Value * scale } : [n1.Number!.Value * scale, n2.Number!.Value * scale];
            // The verb before it ("changed more than 20 files", "touching over 20 files") belongs to it.
            var first = consumed.MinBy(x => x.Start)!;
            var verb = ThresholdVerbRegex().Match(_work.ToString()[..first.Start]);
            if (verb.Success)
            {
                Blank(verb.Index, verb.Length);
            }
            var condition = Condition.Threshold(attribute.Name, cmp.Value, values);
            conditions.Add((s.Start, condition));
            foreach (var c in consumed)
            {
                c.Used = true;
            }
            _understood.Add((s.Start, condition.Describe(e)));
        }
        return null;
    }

    private void ExplainQualifiers(List<(int At, Condition Condition)> conditions)
    {
        var sized = conditions.Any(c => c.Condition.Attribute is "changed_files" or "lines_changed" or "additions" or "deletions" or "commit_count" or "story_points" or "children");
        if (!sized)
        {
            return;
        }
        foreach (Match m in QualifierRegex().Matches(_work.ToString()))
        {
            Blank(m.Index, m.Length);
        }
    }

    // ---- measure ------------------------------------------------------------------------------

    private MetricDef? ReadMeasure(EntityDef e, MetricDef? metric, EventDef? ev, List<(int At, Condition Condition)> conditions,
        List<(int At, EntityFilter Filter)> values, bool perEntity, Slot? perEntitySlot, Dimension? cueDimension,
        out ShareSubset? subset, out bool listing, out int? rateUnit, out string? problem)
    {
        subset = null;
        listing = false;
        rateUnit = null;
        problem = null;
        var measures = _slots.Where(s => !s.Used && s.Has(ConceptKind.Measure)).ToList();
        Slot? Word(string target) => measures.FirstOrDefault(s => s.First(ConceptKind.Measure, target) is not null);
        var aggSlot = measures.FirstOrDefault(s => s.Of(ConceptKind.Measure).Any(x => x.Target is "avg" or "median" or "p90" or "max" or "min" or "sum" or "total"));
        var agg = aggSlot?.Of(ConceptKind.Measure).First(x => x.Target is "avg" or "median" or "p90" or "max" or "min" or "sum" or "total").Target;
        var countSlot = Word("count");
        var shareSlot = Word("share");
        var durationSlot = Word("duration");
        var frequencySlot = Word("frequency");
        // "staging failure rate", "the rollback rate", "unassigned rate": "rate" right after a state of the rows (a status, a
        // predicate) is the share of the rows in that state, not how often rows happen.
        if (frequencySlot is { Text: "rate" } && Previous(frequencySlot) is { } stateWord
            && stateWord.Of(ConceptKind.Filter).Any(x => x.Filter is null or FilterKind.Status))
        {
            if (shareSlot is null)
            {
                (shareSlot, frequencySlot) = (frequencySlot, null);
            }
            else
            {
                // "rollback rate, in %": the share said twice is one.
                frequencySlot.Used = true;
                Understand(frequencySlot, "share");
                frequencySlot = null;
            }
        }
        var attributeSlots = _slots.Where(s => !s.Used && s.Has(ConceptKind.Attribute)).ToList();
        var eventConditions = ev?.Conditions ?? [];
        var time = ev?.TimeAttribute;

        void Use(Slot? s, string? meaning = null)
        {
            if (s is not null)
            {
                s.Used = true;
                if (meaning is not null)
                {
                    Understand(s, meaning);
                }
                // The same aggregation said twice ("typically … median") is one.
                foreach (var twin in _slots.Where(x => !x.Used && x.Has(ConceptKind.Measure)
                             && x.Of(ConceptKind.Measure).Select(m => m.Target).Intersect(s.Of(ConceptKind.Measure).Select(m => m.Target)).Any()))
                {
                    twin.Used = true;
                }
            }
        }

        // Listings: "the biggest PR", "oldest open bugs", "10 slowest issues", "the PR with the most review cycles".
        var listingSlot = _slots.FirstOrDefault(s => !s.Used && s.Has(ConceptKind.Listing));
        // "max"/"min" before an attribute is its aggregate ("max files changed in any PR merged this month": one number), as
        // the judge reads it — not a ranking of the rows.
        var orderAttr = _slots.FirstOrDefault(s => !s.Used && s.Of(ConceptKind.Order).Any(o => o.Target is "desc" or "asc")
                                                   && !s.Of(ConceptKind.Measure).Any(m => m.Target is "max" or "min"));
        // "top 5 pull requests by files changed", "bottom 3 bugs by comments": rows of the entity, ranked.
        var topRows = _slots.FirstOrDefault(s => !s.Used && s.Of(ConceptKind.Order).Any(o => o.Target is "top" or "bottom") && RowsAfter(s));
        // "What was the longest lead time among the issues …": one value asked (a maximum or minimum) of plural rows, never a listing of
        // them — ten rows would answer another question. Refused. Said of one row ("… in a single PR", "on a PR") it stays the row
        // that has it, its value shown (session 6).
        if ((listingSlot ?? orderAttr) is { } valueWord && ValueQuestionRegex().IsMatch(lower[..valueWord.Start]) && !IsSingularEntity()
            && Next(valueWord) is { } valued && (valued.Has(ConceptKind.Attribute) || valued.Has(ConceptKind.Metric) || valued.Has(ConceptKind.Measure)))
        {
            problem = $"'the {valueWord.Text} {valued.Text}' asks for one value, and I answer it with the rows that have it: ask for the maximum or minimum (\"the maximum {valued.Text} …\") or for the rows (\"which … had the {valueWord.Text} {valued.Text}\").";
            return null;
        }
        if (cueDimension is null && !HasBareGrouping() && metric is null
            && (listingSlot is not null && model.Listings.First(l => l.Name == listingSlot.Of(ConceptKind.Listing).First().Target).Attributes.ContainsKey(e.Kind)
                || (orderAttr is not null && (IsSingularEntity() || NumberBeforeRows()) || topRows is not null) && attributeSlots.Count > 0))
        {
            var def = listingSlot is null ? null : model.Listings.First(l => l.Name == listingSlot.Of(ConceptKind.Listing).First().Target);
            var attrName = attributeSlots.Count > 0 ? attributeSlots[0].Of(ConceptKind.Attribute).First().Target : def!.Attributes[e.Kind];
            // "the last 3 PRs merged", "the newest incidents resolved": newest/oldest by the time of the event the question names.
            if (attributeSlots.Count == 0 && def is { Name: "newest" or "oldest" } && time is { } eventTime && e.Attribute(eventTime) is { Type: AttributeType.Timestamp })
            {
                attrName = eventTime;
            }
            orderAttr ??= topRows;
            var order = def?.Order ?? (orderAttr!.Of(ConceptKind.Order).First().Target is "asc" or "bottom" ? SortOrder.Ascending : SortOrder.Descending);
            if (def is not null && attributeSlots.Count > 0 && def.Name is "oldest" or "newest" or "slowest" or "fastest")
            {
                // "the oldest PR by lines": two orderings.
                problem = $"'{listingSlot!.Text}' and '{attributeSlots[0].Text}' are two different orderings; ask for one.";
                return null;
            }
            listing = true;
            _listingDirected = def is not null || orderAttr is not null && orderAttr != topRows;
            Use(listingSlot, def?.Label);
            Use(orderAttr, order == SortOrder.Ascending ? "lowest first" : "highest first");
            // Only the mentions of the ranked attribute (and its bare unit: "added the most lines"): another attribute named
            // beside it is left over (refused), never dropped.
            var rankedUnit = e.Attribute(attrName)!.Unit;
            foreach (var a in attributeSlots.Where(x => x.Of(ConceptKind.Attribute).Any(t => t.Target == attrName) || rankedUnit.Length > 0 && x.Text == rankedUnit))
            {
                Use(a, e.Attribute(attrName)!.Label);
            }
            Use(countSlot); // "largest number of additions"
            var attribute = e.Attribute(attrName)!;
            var conds = eventConditions.Concat(attribute.Requires).ToList();
            _listingOrder = order;
            return model.Measure(e.Kind, Aggregation.Value, attrName, null, conds, time ?? DefaultTime(e, attribute));
        }

        // "the ten issues with the longest lead time": rows of the entity ranked by the metric's attribute.
        if (metric is { Attribute: { } metricAttr } && metric.Aggregation is Aggregation.Avg or Aggregation.Median or Aggregation.P90 or Aggregation.Max or Aggregation.Min
            && cueDimension is null && !HasBareGrouping() && _slots.Any(IsRowNoun)
            && (listingSlot is not null || orderAttr is not null || topRows is not null))
        {
            var def = listingSlot is null ? null : model.Listings.First(l => l.Name == listingSlot.Of(ConceptKind.Listing).First().Target);
            orderAttr ??= topRows;
            var order = def?.Order ?? (orderAttr!.Of(ConceptKind.Order).First().Target is "asc" or "bottom" ? SortOrder.Ascending : SortOrder.Descending);
            listing = true;
            _listingDirected = def is not null || orderAttr is not null && orderAttr != topRows;
            Use(listingSlot, def?.Label);
            Use(orderAttr, order == SortOrder.Ascending ? "lowest first" : "highest first");
            _listingOrder = order;
            foreach (var c in conditions.Where(c => c.Condition.Predicate is { } p && metric.Conditions.Contains(p)).ToList())
            {
                conditions.Remove(c);
            }
            return model.Measure(e.Kind, Aggregation.Value, metricAttr, null, metric.Conditions.Union(eventConditions).ToList(), time ?? metric.TimeAttribute);
        }

        // "the ratio of bugs to stories", "bugs per story", "for every story, how many bugs": two values of one filter.
        var ratioSlot = Word("ratio");
        // "lines deleted per line added", "the deletions-to-additions ratio", "commits per changed file": the total of one numeric
        // attribute per unit of another over the same rows; the divisor is the one after "per", "to", "for every", "against".
        var numeric = attributeSlots.Where(x => x.Of(ConceptKind.Attribute).Select(t => t.Target).Distinct().Count() == 1
                                                && e.Attribute(x.Of(ConceptKind.Attribute).First().Target) is { Type: AttributeType.Number, Related: null }).ToList();
        if (metric is null && agg is null && shareSlot is null && numeric.Count == 2 && numeric.Count == attributeSlots.Count
            && numeric[0].Of(ConceptKind.Attribute).First().Target != numeric[1].Of(ConceptKind.Attribute).First().Target
            && RatioDivisorRegex().IsMatch(lower[..numeric[1].Start]))
        {
            var (num, den) = (e.Attribute(numeric[0].Of(ConceptKind.Attribute).First().Target)!, e.Attribute(numeric[1].Of(ConceptKind.Attribute).First().Target)!);
            foreach (var cue in _slots.Where(x => !x.Used && x.Has(ConceptKind.GroupingCue) && x.Start > numeric[0].End && x.End <= numeric[1].Start))
            {
                cue.Used = true;
            }
            Use(ratioSlot, "ratio");
            Use(countSlot);
            Use(numeric[0], num.Label);
            Use(numeric[1], "per " + den.Label);
            return model.Measure(e.Kind, Aggregation.Ratio, num.Name, den.Name, eventConditions.ToList(), time ?? DefaultTime(e, num));
        }
        var perValue = perEntitySlot is not null && perEntitySlot.Entries.Any(x => x.Filter is not null);
        if (metric is null && (ratioSlot is not null || perValue) && values.GroupBy(v => v.Filter.Kind).FirstOrDefault(g => g.Select(v => v.Filter.Values[0]).Distinct().Count() == 2) is { } pair)
        {
            var ordered = pair.OrderBy(v => v.At).ToList();
            var denominatorAt = perValue && ordered.Any(v => v.At == perEntitySlot!.Start)
                ? perEntitySlot!.Start
                : ordered.FirstOrDefault(v => Regex.IsMatch(lower[..v.At], @"\b(?:to|per|every|each|against)\s*$")).At;
            var denominator = ordered.FirstOrDefault(v => v.At == denominatorAt);
            var numerator = ordered.FirstOrDefault(v => v.At != denominatorAt);
            if (denominator.Filter is not null && numerator.Filter is not null && denominatorAt > 0)
            {
                values.RemoveAll(v => v.Filter.Kind == pair.Key);
                Use(ratioSlot, "ratio");
                Use(countSlot);
                _numerator = new ShareSubset([numerator.Filter], []);
                _denominator = new ShareSubset([denominator.Filter], []);
                Understand(perEntitySlot, $"{string.Join(" or ", numerator.Filter.Values)} per {string.Join(" or ", denominator.Filter.Values)}");
                return model.Measure(e.Kind, Aggregation.Ratio, null, null, eventConditions.ToList(), time ?? e.DefaultTime);
            }
        }

        // "list the epics with more than 10 child issues", "which PRs were merged last week?", "show me open bugs": the rows
        // themselves (key, title and the attribute the question names), never a count or a sum of them.
        if (metric is null && cueDimension is null && !HasBareGrouping() && !perEntity && shareSlot is null && durationSlot is null
            && frequencySlot is null && ratioSlot is null && (aggSlot is null) && ListsRows(countSlot, attributeSlots, out var countOfAttribute))
        {
            var named = attributeSlots.FirstOrDefault(a => e.Attribute(a.Of(ConceptKind.Attribute).First().Target) is { Type: AttributeType.Number });
            var attrName = named?.Of(ConceptKind.Attribute).First().Target
                           ?? conditions.Select(c => c.Condition.Attribute).FirstOrDefault(a => a is not null)
                           ?? time ?? e.DefaultTime;
            var attribute = e.Attribute(attrName)!;
            listing = true;
            _plainListing = true;
            foreach (var a in attributeSlots.Where(x => x.Of(ConceptKind.Attribute).Any(t => t.Target == attrName)))
            {
                Use(a, attribute.Label);
            }
            Use(countOfAttribute);
            _listingOrder = SortOrder.Descending;
            Understand(_slots.FirstOrDefault(x => x.Has(ConceptKind.Entity)), "a listing of the rows");
            return model.Measure(e.Kind, Aggregation.Value, attrName, null, eventConditions.Concat(attribute.Requires).Distinct().ToList(),
                time ?? DefaultTime(e, attribute));
        }

        if (metric is not null)
        {
            var m = metric;
            if (agg is "avg" or "median" or "p90" or "max" or "min" && m.Attribute is not null && m.Aggregation is Aggregation.Avg or Aggregation.Median or Aggregation.P90 or Aggregation.Min or Aggregation.Max)
            {
                // "the average lead time for changes": another aggregate of the same metric keeps what the metric assumes (production).
                // (the derived measure has no defaults of its own: they become the question's filters, unless it filters or groups by them).
                m = model.Measure(e.Kind, ToAggregation(agg), m.Attribute, null, m.Conditions.Union(eventConditions).ToList(), time ?? m.TimeAttribute);
                foreach (var d in metric.Defaults.Where(d => m != metric && !values.Any(v => v.Filter.Kind == d.Kind)
                             && !_slots.Any(x => x.Of(ConceptKind.Grouping).Any(g => g.Dimension is { } gd && model.Dimension(gd).Filter == d.Kind))))
                {
                    values.Add((aggSlot!.Start, new EntityFilter(d.Kind, [d.Value])));
                }
                Use(aggSlot, SemanticModel.AggregationLabel(m.Aggregation));
            }
            else if (ev is not null && time != m.TimeAttribute && m.Custom is null && m.Aggregation != Aggregation.RatePerDay)
            {
                // "time to merge of PRs opened last month": the same measure, dated by the event the question names.
                m = model.Measure(e.Kind, m.Aggregation, m.Attribute, m.ShareOf, m.Conditions.Union(eventConditions).ToList(), time!);
            }
            if (agg is "sum" or "total" && m.Aggregation is Aggregation.Count or Aggregation.Sum)
            {
                Use(aggSlot);
            }
            if (agg is "avg" && m.Aggregation is Aggregation.Avg)
            {
                Use(aggSlot);
            }
            if (agg is "median" && m.Aggregation is Aggregation.Median || agg is "p90" && m.Aggregation is Aggregation.P90)
            {
                Use(aggSlot);
            }
            if (m.Aggregation is Aggregation.Count)
            {
                Use(countSlot);
                AveragedOverGroups(e, agg, aggSlot, cueDimension);
            }
            if (m.Aggregation is Aggregation.Share)
            {
                Use(shareSlot);
                Use(countSlot);
            }
            if (m.Polarity == Polarity.Duration)
            {
                Use(durationSlot);
            }
            if (m.Aggregation is Aggregation.RatePerDay)
            {
                Use(frequencySlot);
                if (agg is "avg")
                {
                    Use(aggSlot);
                }
                rateUnit = RateUnit();
            }
            foreach (var c in conditions.Where(c => c.Condition.Predicate is { } p && m.Conditions.Contains(p)).ToList())
            {
                conditions.Remove(c);
            }
            return m;
        }

        if (shareSlot is not null)
        {
            // The subset: the last condition after the entity noun, else the first one before it.
            // The rows' noun: the entity's, or an issue type naming the rows ("what percentage of bugs are done").
            var nounAt = _slots.Where(IsRowNoun).Select(s => s.Start).DefaultIfEmpty(-1).First();
            // "… of those with a recorded file count": the known value of a thresholded attribute picks the rows, it is never the share.
            var knownOf = conditions.Where(c => c.Condition.IsThreshold).Select(c => e.Attribute(c.Condition.Attribute!)?.KnownWhen).OfType<string>().ToHashSet();
            var items = conditions.Where(c => c.Condition.Predicate is not { } kp || !knownOf.Contains(kp))
                .Select(c => (c.At, Cond: (Condition?)c.Condition, Filter: (EntityFilter?)null))
                .Concat(values.Select(v => (v.At, Cond: (Condition?)null, Filter: (EntityFilter?)v.Filter)))
                .OrderBy(x => x.At).ToList();
            if (items.Count == 0)
            {
                return null; // "share" with nothing to share: left unexplained
            }
            // A condition after a preposition ("failed deployments to staging", "incidents in production") says which rows are
            // counted, not the share asked: "percentage of failed deployments to staging" is the failed share of staging's.
            var after = items.Where(x => x.At > nounAt && nounAt >= 0).ToList();
            // A threshold keeps its own preposition ("fixed in under an hour", "merged within a day"): a property of the rows, never a place.
            var afterPlain = after.Where(x => x.Cond is { Attribute: not null } || !PrepositionBeforeRegex().IsMatch(lower[..x.At])).ToList();
            var before = items.Where(x => nounAt >= 0 && x.At < nounAt).ToList();
            // A noun stack ("prod rollback percentage", "share of staging failed deploys", "sev1 incident share"): the words before
            // the rows' noun (or, with none, every word not after a preposition). The state (a status, a predicate, a threshold) is the
            // share asked and the scope (environment, team, severity, type …) the rows it is a share of — whatever their order. One
            // word alone is the share; several scopes or several states can't be told apart: refused, never guessed.
            var stack = nounAt >= 0 ? before : items.Where(x => x.Cond is { Attribute: not null } || !PrepositionBeforeRegex().IsMatch(lower[..x.At])).ToList();
            // Several values of one filter ("sev1 or sev2") are one word of the stack.
            static string OneWord((int At, Condition? Cond, EntityFilter? Filter) x) => x.Filter is { } sf ? $"filter {sf.Kind}" : $"at {x.At}";
            (int At, Condition? Cond, EntityFilter? Filter) chosen;
            if (afterPlain.Count > 0)
            {
                chosen = afterPlain[^1];
            }
            else if (stack.DistinctBy(OneWord).Count() > 1)
            {
                var states = stack.Where(x => x.Cond is not null || x.Filter is { Kind: FilterKind.Status }).DistinctBy(OneWord).ToList();
                if (states.Count != 1)
                {
                    string Say((int At, Condition? Cond, EntityFilter? Filter) x) => x.Cond is { } c ? c.Describe(e) : string.Join(" or ", x.Filter!.Values);
                    problem = $"The share names {string.Join(" and ", stack.Select(Say))} together: I can't tell which of them picks the {e.Plural} and which is the share asked. "
                              + $"Ask e.g. \"what share of {Say(stack[0])} {e.Plural} are {Say(stack[^1])}\".";
                    return null;
                }
                chosen = states[0];
            }
            else
            {
                chosen = stack.Count > 0 ? stack[0] : after.Count > 0 ? after[^1] : items[0];
            }
            // Several values of one filter ("sev1 or sev2") are one subset.
            var subsetFilters = chosen.Filter is { } f ? values.Where(v => v.Filter.Kind == f.Kind && v.At >= chosen.At - 40 && v.At <= chosen.At + 40).Select(v => v.Filter).ToList() : [];
            Use(shareSlot, "share (%)");
            Use(countSlot);
            if (chosen.Cond is { Predicate: { } pred })
            {
                conditions.RemoveAll(c => c.Condition == chosen.Cond);
                return model.Measure(e.Kind, Aggregation.Share, null, pred, PopulationConditions(eventConditions), time ?? e.DefaultTime);
            }
            if (chosen.Cond is { } threshold)
            {
                conditions.RemoveAll(c => c.Condition == threshold);
                subset = new ShareSubset([], [threshold]);
            }
            else
            {
                values.RemoveAll(v => subsetFilters.Contains(v.Filter));
                subset = new ShareSubset(MergeValues([], subsetFilters), []);
            }
            return model.Measure(e.Kind, Aggregation.Share, null, null, PopulationConditions(eventConditions), time ?? e.DefaultTime);
        }

        if (durationSlot is not null || (attributeSlots.Count == 0 && _slots.Any(s => !s.Used && s.Of(ConceptKind.Order).Any(o => o.Target is "slowest" or "fastest")) && e.Kind == EntityKind.Issue))
        {
            if (!model.Listings.First(l => l.Name == "slowest").Attributes.TryGetValue(e.Kind, out var durationName))
            {
                return null;
            }
            var a = ToAggregation(agg is "avg" or "median" or "p90" or "max" or "min" ? agg : "avg");
            Use(durationSlot, "duration");
            foreach (var same in attributeSlots.Where(x => x.Of(ConceptKind.Attribute).Any(a => a.Target == durationName)))
            {
                Use(same);
            }
            if (agg is "avg" or "median" or "p90" or "max" or "min")
            {
                Use(aggSlot, SemanticModel.AggregationLabel(a));
            }
            var attribute = e.Attribute(durationName)!;
            // An incident's duration is dated by its start even when the question says "to resolve" (the words of the duration);
            // an event said of the rows on its own ("incidents resolved last month", "the outages we closed out in May") dates them.
            var m = model.Measure(e.Kind, a, durationName, null, e.Kind == EntityKind.Incident && ev is null ? [] : eventConditions.ToList(),
                e.Kind == EntityKind.Incident ? time ?? "created_at" : time ?? DefaultTimeOfDuration(e));
            Understand(durationSlot, m.Title.ToLowerInvariant());
            foreach (var c in conditions.Where(c => c.Condition.Predicate is { } p && m.Conditions.Contains(p)).ToList())
            {
                conditions.Remove(c);
            }
            _ = attribute;
            return m;
        }

        if (frequencySlot is not null && e.Kind == EntityKind.Deployment)
        {
            var m = model.Metric("deployment_frequency_per_day");
            Use(frequencySlot);
            rateUnit = RateUnit();
            if (agg is "avg")
            {
                Use(aggSlot);
            }
            return m;
        }

        if (attributeSlots.Count > 0)
        {
            var slot = attributeSlots[0];
            var attribute = e.Attribute(slot.Of(ConceptKind.Attribute).First().Target)!;
            if (attribute.Type != AttributeType.Number)
            {
                return null;
            }
            if (agg is null && !perEntity && WithBeforeRegex().IsMatch(lower[..slot.Start])
                && (countSlot is null ? attribute.Expression.Contains("SELECT", StringComparison.Ordinal) : CountsRows(countSlot)))
            {
                // "open epics with done child issues": which epics (any? how many?) is not said — never a total of them. "How many epics
                // have open child issues?", "how many issues have comments?": the rows are counted, and what "have" asks of the
                // attribute (any? more than some?) is not said — never a sum of the attribute.
                return null;
            }
            Aggregation a;
            if (agg is "sum" or "total")
            {
                a = Aggregation.Sum;
            }
            else if (agg is "avg" or "median" or "p90" or "max" or "min")
            {
                a = ToAggregation(agg);
            }
            else if (perEntity)
            {
                a = Aggregation.Avg;
            }
            else
            {
                a = attribute.Polarity == Polarity.Duration ? Aggregation.Avg : Aggregation.Sum;
            }
            if (aggSlot is not null && agg is not null)
            {
                Use(aggSlot, SemanticModel.AggregationLabel(a));
            }
            Use(countSlot);
            Use(slot, attribute.Label);
            foreach (var same in attributeSlots.Where(x => x.Of(ConceptKind.Attribute).Any(a => a.Target == attribute.Name)))
            {
                Use(same);
            }
            if (perEntitySlot is not null)
            {
                Use(perEntitySlot, "per " + e.Singular);
            }
            var conds = eventConditions.ToList();
            return Absorb(e, a, attribute.Name, null, conds, time ?? DefaultTime(e, attribute), conditions);
        }

        // A follow-up that names no measure keeps the previous one ("and for last quarter?", "and the median?").
        if (context is not null && countSlot is null && (aggSlot is null || agg is "avg" or "median" or "p90" or "max" or "min"))
        {
            if (aggSlot is not null)
            {
                _followUpAggregate = ToAggregation(agg);
                Use(aggSlot, SemanticModel.AggregationLabel(_followUpAggregate.Value));
            }
            return null;
        }

        // A count of the rows; "on average per week" makes it a rate.
        Use(countSlot, "count");
        AveragedOverGroups(e, agg, aggSlot, cueDimension);
        if (agg is "sum" or "total")
        {
            Use(aggSlot);
        }
        if (agg is "avg" && RateUnit() is { } unit)
        {
            Use(aggSlot, "average");
            rateUnit = unit;
            return model.Measure(e.Kind, Aggregation.RatePerDay, null, null, eventConditions.ToList(), time ?? e.DefaultTime);
        }
        return Absorb(e, Aggregation.Count, null, null, eventConditions.ToList(), time ?? e.DefaultTime, conditions);
    }

    /// <summary>
    /// "On average, how many PRs has each author opened", "mean number of incidents per team": an average word with a count and a
    /// grouping by something other than time is the count per group averaged over the groups (one number), not a grouping the
    /// average word would be left over from. Over time it stays a rate ("on average per week").
    /// </summary>
    private void AveragedOverGroups(EntityDef e, string? agg, Slot? aggSlot, Dimension? cueDimension)
    {
        if (agg is "avg" && aggSlot is { Used: false } && cueDimension is { } per && model.Dimension(per) is { IsTime: false } d && d.Bindings.ContainsKey(e.Kind)
            && RateUnit() is null)
        {
            _averagePerGroup = true;
            aggSlot.Used = true;
            Understand(aggSlot, $"average per {d.LabelFor(e.Kind)}");
        }
    }

    /// <summary>
    /// Phrases of another entity hide nothing of this one: a slot the entity's fit emptied ("got resolved", an incident's verb, in a
    /// question about bugs) is read again from the shorter phrases inside it that fit ("resolved", an issue's).
    /// </summary>
    private void Unhide(EntityKind entity)
    {
        foreach (var s in _slots.Where(s => s.Entries.Count == 0 && s.Number is null && !s.Used).ToList())
        {
            var inside = _hidden.Where(h => h.Start >= s.Start && h.End <= s.End && Fits(h.Entry, entity))
                .OrderBy(h => h.Start).ThenByDescending(h => h.End - h.Start).ToList();
            var replacement = new List<Slot>();
            foreach (var h in inside)
            {
                if (replacement.FirstOrDefault(r => r.Start == h.Start && r.End == h.End) is { } same)
                {
                    if (!same.Entries.Contains(h.Entry))
                    {
                        same.Entries.Add(h.Entry);
                    }
                    continue;
                }
                if (replacement.Any(r => r.Start < h.End && h.Start < r.End))
                {
                    continue;
                }
                var slot = new Slot(h.Start, h.End, h.Text);
                slot.Entries.Add(h.Entry);
                replacement.Add(slot);
            }
            if (replacement.Count > 0)
            {
                var i = _slots.IndexOf(s);
                _slots.RemoveAt(i);
                _slots.InsertRange(i, replacement);
            }
        }
    }

    /// <summary>
    /// "Which open epic has the most unfinished issues?", "the epic with the most tickets": in an epic question, an issue noun ranked
    /// (most, fewest, top) can only be the epic's child issues — counted per epic, in the state said right before the noun (the
    /// issues' own open or done words). Left unread (refused) when that state has no child count (in progress), when the noun is an
    /// issue type ("the epic with the most bugs": children of one type are not counted), or when an event or the period follows the
    /// noun ("the epic with the most issues completed last month": which rows the period dates is not said).
    /// </summary>
    private void ChildIssuesRanked(TimeWindow? window)
    {
        var epicNoun = _slots.FirstOrDefault(s => s.Of(ConceptKind.Entity).Any(x => x.Entity == EntityKind.Epic));
        var ranked = _slots.Any(s => s.Of(ConceptKind.Order).Any(o => o.Target is "desc" or "asc" or "top" or "bottom"));
        var issueNouns = _slots.Where(s => s.Start > (epicNoun?.Start ?? int.MaxValue) && IsPlainIssueNoun(s)).ToList();
        if (epicNoun is null || issueNouns.Count != 1 || _slots.Any(s => s.Has(ConceptKind.Attribute)))
        {
            return;
        }
        var noun = issueNouns[0];
        // "open epics with over ten unfinished tickets in them": a threshold's number before the noun (its state between) says so too.
        var counted = Previous(noun) is { } before && (before.Number is not null && Previous(before) is { } c1 && c1.Has(ConceptKind.Comparator)
                      || before.Entries.Count > 0 && before.Entries.All(x => x.Kind is ConceptKind.Filter or ConceptKind.Event)
                         && Previous(before) is { Number: not null } n2 && Previous(n2) is { } c2 && c2.Has(ConceptKind.Comparator));
        if (!ranked && !counted)
        {
            return;
        }
        if (_slots.Any(s => s.Start > noun.Start && (s.Has(ConceptKind.Event) || s.Has(ConceptKind.Filter))) || window is not null && _windowStart > noun.Start)
        {
            return;
        }
        var state = Previous(noun) is { } p && p.Start > epicNoun.End && p.Number is null && p.Entries.Count > 0 && p.Entries.All(x => x.Kind is ConceptKind.Filter or ConceptKind.Event) ? p : null;
        var target = state is null ? "children"
            : state.Of(ConceptKind.Filter).Any(x => x.Target == "not_done") ? "children_open"
            : state.Of(ConceptKind.Filter).Any(x => x.Target == "done") || state.Of(ConceptKind.Event).Any(x => x.Target == "completed") ? "children_done"
            : null;
        if (target is null)
        {
            return;
        }
        var attribute = model.Entity(EntityKind.Epic).Attribute(target)!;
        var start = state?.Start ?? noun.Start;
        var slot = new Slot(start, noun.End, lower[start..noun.End]);
        slot.Entries.Add(new LexiconEntry(ConceptKind.Attribute, attribute.Name, slot.Text) { Entity = EntityKind.Epic, Label = attribute.Label });
        var i = _slots.IndexOf(state ?? noun);
        _slots.Remove(noun);
        if (state is not null)
        {
            _slots.Remove(state);
        }
        _slots.Insert(i, slot);
    }

    private static bool IsPlainIssueNoun(Slot s) => s.Entries.Count > 0 && s.Entries.All(x => x.Kind == ConceptKind.Entity && x.Entity == EntityKind.Issue);

    /// <summary>
    /// "How many tickets sit under each open epic", "does an open epic hold", "open issues under it": once the issue noun is the
    /// epic's children, the words that place them in the epic (under, beneath, within; sit, hold, belong) say nothing more.
    /// </summary>
    private void Containment()
    {
        if (!_slots.Any(s => s.Of(ConceptKind.Attribute).Any(a => a.Target.StartsWith("children", StringComparison.Ordinal))))
        {
            return;
        }
        foreach (var s in _slots.Where(s => !s.Used && s.Number is null && s.Entries.All(x => x.Kind == ConceptKind.Comparator) && UnderRegex().IsMatch(s.Text)))
        {
            if (ContainedInRegex().IsMatch(lower[s.End..]))
            {
                s.Used = true;
            }
        }
        foreach (Match m in UnderWordRegex().Matches(_work.ToString()))
        {
            if (ContainedInRegex().IsMatch(lower[(m.Index + m.Length)..]) && !_slots.Any(x => x.Start < m.Index + m.Length && m.Index < x.End))
            {
                Blank(m.Index, m.Length);
            }
        }
        foreach (Match m in ContainVerbRegex().Matches(_work.ToString()))
        {
            // A phrase of other rows the entity emptied ("live", a production environment of deployments) is the verb here.
            var over = _slots.Where(x => x.Start < m.Index + m.Length && m.Index < x.End).ToList();
            if (over.All(x => x.Entries.Count == 0 && x.Number is null))
            {
                over.ForEach(x => x.Used = true);
                Blank(m.Index, m.Length);
            }
        }
    }

    /// <summary>The slot after <paramref name="s"/>, past the conditions before the rows' noun ("across open epics" → "epics").</summary>
    private Slot? RowsAfterConditions(Slot s)
    {
        var n = s;
        while (n is not null && !IsRowNoun(n) && n.Entries.Count > 0 && n.Entries.All(x => x.Kind is ConceptKind.Filter or ConceptKind.Event))
        {
            n = Next(n);
        }
        return n is not null && IsRowNoun(n) ? n : null;
    }

    /// <summary>An aggregate of values over the rows is asked: average, median, p90, maximum, minimum ("median count of issues under them").</summary>
    private bool AggregatedOverRows() => _slots.Any(s => s.Of(ConceptKind.Measure).Any(x => x.Target is "avg" or "median" or "p90" or "max" or "min"));

    /// <summary>"the 3 epics with the fewest open child issues": a number right before the rows' noun (conditions between) is how many rows.</summary>
    private bool NumberBeforeRows() => _slots.Any(n => !n.Used && n.Number is not null && Next(n) is { } x && RowsAfterConditions(x) is not null);

    /// <summary>"How many epics have …": the count word is said of the rows (their noun follows it, conditions between).</summary>
    private bool CountsRows(Slot countSlot) => Next(countSlot) is { } n && RowsAfterConditions(n) is not null;

    /// <summary>"epics completed", "PRs merged": an event verb right after the rows' noun.</summary>
    private bool RightAfterRows(Slot s) => Previous(s) is { } p && IsRowNoun(p);

    /// <summary>"bugs are done", "PRs were merged", "incidents got resolved": an event verb said of the rows after a copula.</summary>
    private bool IsPredicateState(Slot s)
    {
        var noun = _slots.FirstOrDefault(x => x.End <= s.Start && IsRowNoun(x));
        return noun is not null && (CopulaBeforeRegex().IsMatch(_work.ToString()[..s.Start]) || CopulaStartRegex().IsMatch(s.Text));
    }

    /// <summary>
    /// The plain issue noun of "average number of issues per (open) epic" / "on average, how many tickets does an epic contain" — an
    /// average word, an epic noun, one plain issue noun and nothing else measured — else null.
    /// </summary>
    private Slot? AveragedChildIssueNoun()
    {
        var averaged = AggregatedOverRows();
        var epicNoun = _slots.Any(s => s.Of(ConceptKind.Entity).Any(x => x.Entity == EntityKind.Epic));
        var issueNouns = _slots.Where(IsPlainIssueNoun).ToList();
        return averaged && epicNoun && issueNouns.Count == 1 && !_slots.Any(s => s.Has(ConceptKind.Attribute) || s.Has(ConceptKind.Metric)) ? issueNouns[0] : null;
    }

    /// <summary>
    /// "Average number of issues per open epic", "on average, how many tickets does an epic contain": an average over epics
    /// of the issues they hold — the issue noun is the epics' child issues (attribute <c>children</c>). Only with an average
    /// word and nothing else measured; "number of issues per epic" stays a count of issues grouped by epic.
    /// </summary>
    private void ChildIssuesAveraged()
    {
        var grouped = _slots.Any(s => s.Has(ConceptKind.Grouping) && s.Of(ConceptKind.Grouping).Any(g => g.Dimension == Dimension.Epic) && s.Used);
        if (grouped || AveragedChildIssueNoun() is not { } noun)
        {
            return;
        }
        var children = model.Entity(EntityKind.Epic).Attribute("children")!;
        noun.Entries.Clear();
        noun.Entries.Add(new LexiconEntry(ConceptKind.Attribute, children.Name, noun.Text) { Entity = EntityKind.Epic, Label = children.Label });
    }

    /// <summary>The slot stands right before an attribute counted over related rows (an epic's children).</summary>
    private bool BeforeRelatedRows(Slot s, EntityDef e) =>
        Next(s) is { } n && n.Of(ConceptKind.Attribute).Any(a => e.Attribute(a.Target)?.Expression.Contains("SELECT", StringComparison.Ordinal) == true);

    private bool _plainListing;

    /// <summary>
    /// The question asks for rows, not a figure: a listing verb ("list", "show me", "give me") or "which/what (are the)" right
    /// before the rows' noun (conditions between: "list open bugs"), and no measure word — except "number of" said of an
    /// attribute ("with their number of child issues"), returned in <paramref name="countOfAttribute"/>.
    /// </summary>
    private bool ListsRows(Slot? countSlot, List<Slot> attributeSlots, out Slot? countOfAttribute)
    {
        countOfAttribute = countSlot is not null && Next(countSlot) is { } n && attributeSlots.Contains(n) ? countSlot : null;
        if (countSlot is not null && countOfAttribute is null)
        {
            return false;
        }
        var noun = _slots.FirstOrDefault(IsRowNoun);
        if (noun is null)
        {
            return false;
        }
        var before = new StringBuilder(_work.ToString()[..noun.Start]);
        foreach (var x in _slots.Where(x => x.End <= noun.Start && !x.Has(ConceptKind.Measure) && !x.Has(ConceptKind.Order) && !x.Has(ConceptKind.Grouping)))
        {
            for (var i = x.Start; i < x.End; i++)
            {
                before[i] = ' ';
            }
        }
        return ListVerbRegex().IsMatch(before.ToString());
    }

    [GeneratedRegex(@"^[\s,]*(?:(?:please|pls|can|could|would|will|you|kindly|just)\s+)*(?:(?:list|show|display|enumerate|name|give|get|pull up|bring up)(?:\s+(?:me|us))?|(?:which|what)(?:\s+(?:are|were|is|was))?)(?:\s+(?:all|every|each))?(?:\s+of)?(?:\s+(?:the|our|my|all))?(?:[\s,]|'s\b|')*$")]
    private static partial Regex ListVerbRegex();

    [GeneratedRegex(@"\b(?:with|having|has|have|had|containing|contains?)\s+(?:(?:their|its|the|any|some)\s+)?$")]
    private static partial Regex WithBeforeRegex();

    private int _windowStart = -1;
    private string _windowText = "";

    /// <summary>
    /// Why a period that no event dates is not read, or null when it is read as the rows' creation. (1) A state the data keeps only as of
    /// today — open, in progress, in review, unresolved, not merged: no event of the entity carries it, so nothing records when it began or
    /// ended — with a period: "how many PRs were open last month", "open incidents last week" may ask which were in that state during the
    /// period or which of the period's new rows are in it today. "still", "currently", "now", "remain" say today's state (the period then
    /// picks the rows by creation), as an event does ("open bugs created last month"). (2) An act the data keeps no time of, right before the
    /// period ("PRs reviewed last week", "tickets assigned last month", "stories estimated this quarter"): the period is said of the act.
    /// A link to what caused the row ("the incidents its deployments caused this year") is made when the row begins: dated by creation.
    /// </summary>
    private string? UndatedPeriod(EntityDef e, List<(int At, Condition Condition)> conditions, TimeWindow window)
    {
        var eventStates = e.Events.SelectMany(x => x.Conditions).ToHashSet(StringComparer.Ordinal);
        var stateNow = StateNowRegex().IsMatch(_work.ToString());
        foreach (var (at, condition) in conditions)
        {
            if (condition.Predicate is not { } name || e.Predicate(name) is not { } p)
            {
                continue;
            }
            var slot = _slots.FirstOrDefault(s => s.Start == at);
            if (p.Group == "state" && !eventStates.Contains(name) && !stateNow && !(slot is not null && StateNowRegex().IsMatch(slot.Text)))
            {
                return $"'{slot?.Text ?? p.Label}' is {e.Plural}' state today, and the question names a period ({window.Label}) that no event dates: I can't tell whether it asks "
                    + $"which {e.Plural} were {p.Label} during that period (which I can't answer: the data keeps the state as of today only) or which {e.Plural} created then are {p.Label} now. "
                    + $"Ask e.g. \"{e.Plural} {e.Events[0].Label} {_windowText} that are still {Bare(slot?.Text ?? p.Label)}\".";
            }
            if (slot is not null && slot.End <= _windowStart && EventToWindowRegex().IsMatch(lower[slot.End.._windowStart])
                && !_slots.Any(x => x.Start >= slot.End && x.End <= _windowStart && (x.Entries.Count > 0 || x.Number is not null))
                && ActParticipleRegex().IsMatch(slot.Text) && p.Group is not ("linked" or "deployment_status"))
            {
                return $"The period ({window.Label}) is said of '{slot.Text}', and the data keeps no time of that for {e.Plural}: I date {e.Plural} by "
                    + $"{string.Join(", ", e.Events.Select(x => x.Label))} only. Ask e.g. \"{e.Plural} {e.Events[0].Label} {_windowText} that were {Bare(slot.Text)}\".";
            }
        }
        return null;
    }

    [GeneratedRegex(@"^[\s,]*(?:vs\.?|versus|v\.?|compared (?:to|with)|against|relative to|as opposed to)[\s,]*(?:(?:the|those|ones|how many|were|was|got)\s+)*$")]
    private static partial Regex ComparedRegex();

    /// <summary>The question with its comparison word read as "and" and grouped by what is compared: "sev1 vs sev2 incidents" → "sev1 and sev2 incidents, by severity".</summary>
    private string ComparedAsGrouping(Match versus, string by, Dimension? other)
    {
        var text = new StringBuilder(original);
        // Another grouping asked ("…, per team") is left out of the offer: its cue and its noun are blanked.
        if (_slots.FirstOrDefault(s => s.Of(ConceptKind.Grouping).Any(x => x.Dimension == other)) is { } grouping)
        {
            var from = Previous(grouping) is { } cue && cue.Has(ConceptKind.GroupingCue) ? cue.Start : grouping.Start;
            text.Remove(from, grouping.End - from).Insert(from, new string(' ', grouping.End - from));
        }
        text.Remove(versus.Index, versus.Length).Insert(versus.Index, "and".PadRight(versus.Length));
        return Regex.Replace(text.ToString(), @"\s*,(?:\s*,)+|\s{2,}", m => m.Value.Contains(',', StringComparison.Ordinal) ? "," : " ").Trim().TrimEnd('?', '.', '!', ',', ' ') + ", by " + by;
    }

    [GeneratedRegex(@"(?<![\w-])(?:vs\.?|versus|v\.|compared (?:to|with)|compare|as opposed to|side by side)(?![\w-])")]
    private static partial Regex ComparisonWordRegex();

    /// <summary>A state's words without the copula before them ("were open" → "open").</summary>
    private static string Bare(string text) => CopulaLeadRegex().Replace(text, "");

    [GeneratedRegex(@"^(?:(?:that|which|who|are|is|were|was|got|been|be)\s+)+")]
    private static partial Regex CopulaLeadRegex();

    [GeneratedRegex(@"\b(?:still|currently|now|remains?|remaining|as of today|at the moment|at present)\b")]
    private static partial Regex StateNowRegex();

    /// <summary>A past participle of an act ("reviewed", "were assigned", "estimated"), not its absence ("unassigned", "not reviewed", "without …").</summary>
    [GeneratedRegex(@"^(?!(?:un|non|not |never |without |with no |no ))(?:.* )?\w+ed$")]
    private static partial Regex ActParticipleRegex();

    /// <summary>The event the window is said of: the one right before it ("closed last month", "opened in 2025"), only function words between.</summary>
    private Slot? DatingEvent(List<Slot> events)
    {
        if (_windowStart < 0)
        {
            return null;
        }
        var before = events.Where(s => s.End <= _windowStart).OrderByDescending(s => s.End).FirstOrDefault();
        if (before is null || _slots.Any(x => x.Start >= before.End && x.End <= _windowStart && (x.Entries.Count > 0 || x.Number is not null)))
        {
            return null;
        }
        // "opened and merged this year": both verbs share the window — one time column can't say that.
        if (events.Where(s => s.End <= before.Start && s != before).OrderByDescending(s => s.End).FirstOrDefault() is { } coordinated
            && CoordinatedRegex().IsMatch(lower[coordinated.End..before.Start]))
        {
            return null;
        }
        var between = lower[before.End.._windowStart];
        return EventToWindowRegex().IsMatch(between) ? before : null;
    }

    [GeneratedRegex(@"^[\s,]*(?:and|or|&|then|but|yet)?[\s,]*(?:(?:also|were|was|got|been|then)\s+)*$")]
    private static partial Regex CoordinatedRegex();

    [GeneratedRegex(@"^(?:reported|filed|raised|logged|submitted|created|opened|wrote|written)$")]
    private static partial Regex ReporterVerbRegex();

    /// <summary>"what was the ", "what's the ", "what is our ": a question for a value, right before the ranking word.</summary>
    [GeneratedRegex(@"^\W*what(?:'s|\s+(?:is|was|were|are))\s+(?:the|our)\s+(?:single\s+)?$")]
    private static partial Regex ValueQuestionRegex();

    [GeneratedRegex(@"\b(?:which|what)(?: one| single one)? of (?:our|the|your|their|all(?: of)?(?: our| the)?|these|those) $")]
    private static partial Regex WhichOfRegex();

    [GeneratedRegex(@"^[\s,]*(?:(?:in|during|within|over|for|since|from|between|on|at|the|of|this|last|past|previous)\s+)*$")]
    private static partial Regex EventToWindowRegex();

    private SortOrder _listingOrder;
    private bool _listingDirected;
    private ShareSubset? _numerator;

    /// <summary>"…, counting unknown as not over 10" (<see cref="Words.CountingUnknownAsOutside"/>): where, its text, the threshold said again.</summary>
    private (int At, string Text, string Repeated)? _countingUnknown;

    /// <summary>Words a threshold said again after "counting unknown as not" may use besides the question's own.</summary>
    private static readonly HashSet<string> ThresholdWords = new(StringComparer.Ordinal)
    {
        "more", "than", "over", "above", "greater", "larger", "bigger", "longer", "higher", "exceeding", "at", "least", "most", "under", "below",
        "less", "fewer", "smaller", "shorter", "lower", "within", "up", "to", "no", "in", "or", "the", "a", "an", "of", "it", "threshold",
    };

    /// <summary>
    /// A share of a threshold on a value the data may leave empty (<see cref="AttributeDef.KnownWhen"/>: a done story never started has no
    /// lead time, a PR may have no recorded size) has two readings: of the rows with a known value, or of every row with the unknown
    /// ones counted outside. Corpus writers chose each (session 10's held-out measurement), so the words must fix it — "of those with
    /// a recorded file count" (the known value among the rows' conditions) or "counting unknown as not over 10" — else the question
    /// is refused, both readings offered in words that are answered. Returns the refusal, or null with the subset to plan.
    /// </summary>
    private ParsedQuestion? ShareConvention(EntityDef e, MetricDef? measure, ShareSubset? subset, List<Condition> planConditions, out ShareSubset? planned)
    {
        planned = subset;
        var thresholds = measure is { Aggregation: Aggregation.Share, ShareOf: null } && subset is not null
            ? subset.Conditions.Where(c => c.IsThreshold && e.Attribute(c.Attribute!)?.KnownWhen is not null).ToList()
            : [];
        if (_countingUnknown is { } counting)
        {
            // The phrase is read only of such a share, and only when the threshold it repeats is the share's.
            var said = Lexicon.Tokenize(Lexicon.Normalize(lower.Remove(counting.At, counting.Text.Length))).Select(t => t.Text).ToHashSet(StringComparer.Ordinal);
            var values = thresholds.SelectMany(c => c.Values).Select(v => v.ToString("0.##", CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
            var units = thresholds.Select(c => e.Attribute(c.Attribute!)!.Unit).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var repeated = Lexicon.Tokenize(Lexicon.Normalize(counting.Repeated)).Select(t => t.Text)
                .All(w => said.Contains(w) || ThresholdWords.Contains(w) || values.Contains(w) || units.Contains(w));
            if (thresholds.Count == 0 || !repeated)
            {
                return new ParsedQuestion
                {
                    Refusal = RefusalKind.UnknownWords,
                    Understood = Understood(),
                    Unknown = [counting.Text.Trim()],
                    Question = Question,
                    Vocabulary = vocabulary,
                };
            }
            planned = subset! with { UnknownOutside = true };
            return null;
        }
        var open = thresholds.Where(c => !planConditions.Any(p => p.Predicate == e.Attribute(c.Attribute!)!.KnownWhen)
                                          && !measure!.Conditions.Contains(e.Attribute(c.Attribute!)!.KnownWhen!)).ToList();
        if (open.Count == 0)
        {
            return null;
        }
        var asked = original.Trim().TrimEnd('?', '.', '!', ' ');
        var c0 = open[0];
        var attribute = e.Attribute(c0.Attribute!)!;
        var known = e.Predicate(attribute.KnownWhen!)!;
        var not = c0.Comparison switch
        {
            Comparison.GreaterThan => "over",
            Comparison.AtLeast => "at least",
            Comparison.LessThan => "under",
            Comparison.AtMost => "within",
            _ => null,
        };
        var value = c0.Values[0].ToString("0.##", CultureInfo.InvariantCulture);
        var outside = not is null ? "outside the threshold" : $"not {not} {value}{(attribute.Polarity == Polarity.Duration ? " " + attribute.Unit : "")}";
        return new ParsedQuestion
        {
            Refusal = RefusalKind.Unsupported,
            RefusalReason = $"The share of {e.Plural} with {c0.Describe(e)} can be taken of two populations, and the question does not say which: "
                            + $"of the {e.Plural} {known.Label} only, or of all of them, counting one without a recorded value as outside the threshold. "
                            + "The two give different numbers, so I won't choose; ask one of them.",
            Understood = Understood(),
            Readings = [$"{asked}, of those {known.Label}?", $"{asked}, counting unknown as {outside}?"],
            Question = Question,
            Vocabulary = vocabulary,
        };
    }
    private ShareSubset? _denominator;
    private bool _trendVerb;
    private Dimension? _eachPeriod;
    private Dimension? _comparedPeriods;
    private Slot? _cue;
    private bool _rateTookCue;
    private bool _averagePerGroup;
    private Aggregation? _followUpAggregate;

    private static string DefaultTime(EntityDef e, AttributeDef attribute) =>
        attribute.Requires.Contains("merged") ? "merged_at"
        : attribute.Requires.Contains("done") ? "completed"
        : attribute.Requires.Contains("resolved") ? "created_at"
        : e.DefaultTime;

    private static List<string> PopulationConditions(IReadOnlyList<string> eventConditions) => [.. eventConditions];

    /// <summary>
    /// The catalog's own metric when the question's predicates (with the event's) are its conditions
    /// ("open issues" = issues_open); predicates it does not absorb stay conditions of the plan.
    /// </summary>
    private MetricDef Absorb(EntityDef e, Aggregation a, string? attribute, string? shareOf, List<string> conds, string time, List<(int At, Condition Condition)> conditions)
    {
        var predicates = conditions.Where(c => c.Condition.Predicate is not null).Select(c => c.Condition.Predicate!).Distinct().ToList();
        foreach (var subset in Subsets(predicates))
        {
            var m = model.Measure(e.Kind, a, attribute, shareOf, conds.Union(subset).ToList(), time);
            if (!m.Derived)
            {
                conditions.RemoveAll(c => c.Condition.Predicate is { } p && subset.Contains(p));
                return m;
            }
        }
        return model.Measure(e.Kind, a, attribute, shareOf, conds, time);
    }

    private static IEnumerable<List<string>> Subsets(List<string> items)
    {
        yield return items;
        if (items.Count > 1)
        {
            foreach (var i in items)
            {
                yield return [i];
            }
        }
    }

    private int? RateUnit()
    {
        if (_cue is not null && _cue.Text is "per" or "a" or "each" or "every" && Next(_cue) is { } grain && grain.Of(ConceptKind.Grouping).Any(g => g.Dimension == Dimension.Week))
        {
            // "per week" after a count on average is the unit of a rate, not a grouping.
            _rateTookCue = true;
            Understand(grain, "per week");
            return 7;
        }
        foreach (var s in _slots.Where(s => !s.Used && s.Has(ConceptKind.Grouping)))
        {
            var d = s.Of(ConceptKind.Grouping).First().Dimension;
            var previous = Previous(s);
            var perCue = previous is not null && (previous.Text is "per" or "a" or "each" || previous.Text.StartsWith("every", StringComparison.Ordinal))
                         || ArticleBeforeRegex().IsMatch(lower[..s.Start]);
            if (d is Dimension.Week && (perCue || s.Text == "weekly"))
            {
                s.Used = true;
                if (previous is not null && perCue)
                {
                    previous.Used = true;
                }
                Understand(s, "per week");
                return 7;
            }
        }
        var m = PerDayRegex().Match(_work.ToString());
        if (m.Success)
        {
            Blank(m.Index, m.Length);
            return 1;
        }
        return null;
    }

    /// <summary>The words of an entity's own duration ("time to merge", "lead time"), the one "slowest"/"fastest" rank rows by.</summary>
    private string DurationWordsOf(EntityDef e) =>
        model.Listings.First(l => l.Name == "slowest").Attributes.TryGetValue(e.Kind, out var name) && e.Attribute(name) is { } a ? a.Label : "duration";

    private static Aggregation ToAggregation(string? word) => word switch
    {
        "median" => Aggregation.Median,
        "p90" => Aggregation.P90,
        "max" => Aggregation.Max,
        "min" => Aggregation.Min,
        "sum" or "total" => Aggregation.Sum,
        _ => Aggregation.Avg,
    };

    // ---- ordering -----------------------------------------------------------------------------

    private (SortOrder Order, int? Limit, string? Problem) ReadOrder(MetricDef? measure, EntityDef e, bool grouped, bool listing, bool singularGrouping, Dimension? dimension)
    {
        var order = listing ? _listingOrder : SortOrder.Default;
        int? limit = null;
        var orderWord = false;
        var polarity = measure?.Polarity ?? Polarity.Volume;
        var durationLike = measure is not null && (measure.Unit is "days" or "hours" || polarity == Polarity.Duration);
        // An ordering may share its words with the metric ("which epics are furthest behind").
        var orderSlots = _slots.Where(s => s.Has(ConceptKind.Order) && (!s.Used || s.Has(ConceptKind.Metric))).ToList();
        // "the quickest stories, top 5": "top N" says how many; the direction is the other word's when one gives it.
        var directed = listing && _listingDirected || orderSlots.Any(s => s.Of(ConceptKind.Order).First().Target is not ("top" or "rank"));
        foreach (var s in orderSlots)
        {
            var target = s.Of(ConceptKind.Order).First().Target;
            if (!grouped && !listing)
            {
                continue;
            }
            switch (target)
            {
                case "top":
                    if (!directed)
                    {
                        order = SortOrder.Descending;
                    }
                    break;
                case "bottom":
                    order = SortOrder.Ascending;
                    break;
                case "desc":
                    order = SortOrder.Descending;
                    break;
                case "asc":
                    order = SortOrder.Ascending;
                    break;
                case "slowest" or "fastest" when !durationLike && polarity == Polarity.Volume && measure is { Aggregation: not Aggregation.RatePerDay }:
                    // "Which author is the fastest to merge?": speed is a duration, never the most rows (a count ranked by "fastest"
                    // answered with the authors of the most merged PRs). A rate ("deploys fastest" per day) is left as it was.
                    return (order, limit, $"'{s.Text}' ranks by how long something takes, and the question measures {measure.Title.ToLowerInvariant()} (a count): "
                        + $"which duration is meant is not said. Ask e.g. \"{(target == "fastest" ? "lowest" : "highest")} average {DurationWordsOf(e)}"
                        + $"{(dimension is { } by ? " by " + model.Dimension(by).Label : "")}\".");
                case "slowest":
                    order = durationLike || polarity != Polarity.Volume ? SortOrder.Descending : SortOrder.Ascending;
                    break;
                case "fastest":
                    order = durationLike || polarity != Polarity.Volume ? SortOrder.Ascending : SortOrder.Descending;
                    break;
                case "worst":
                    order = polarity == Polarity.Volume ? SortOrder.Ascending : SortOrder.Descending;
                    break;
                case "best":
                    order = polarity == Polarity.Volume ? SortOrder.Descending : SortOrder.Ascending;
                    break;
                case "rank":
                    if (order == SortOrder.Default)
                    {
                        order = SortOrder.Descending;
                    }
                    break;
            }
            s.Used = true;
            orderWord = true;
            Understand(s, order == SortOrder.Ascending ? "lowest first" : "highest first");
        }
        // A number next to the ranking or the ranked noun is the limit: "top 5", "10 slowest issues", "ten people".
        foreach (var n in _slots.Where(s => !s.Used && s.Number is not null))
        {
            var prev = Previous(n);
            var next = Next(n);
            // "the last 5 rollbacks", "the newest 3 bugs": right after a listing word too.
            var byOrder = prev is not null && (prev.Has(ConceptKind.Order) || prev.Has(ConceptKind.Listing)) || next is not null && (next.Has(ConceptKind.Order) || next.Has(ConceptKind.Listing));
            // "which ten open bugs": the conditions between the number and the ranked noun are read already.
            var noun = next;
            while (noun is not null && noun.Used && !IsRowNoun(noun) && !noun.Has(ConceptKind.Grouping)
                   && noun.Entries.Count > 0 && noun.Entries.All(x => x.Kind is ConceptKind.Filter or ConceptKind.Event))
            {
                noun = Next(noun);
            }
            var byNoun = noun is not null && (noun.Has(ConceptKind.Grouping) || IsRowNoun(noun));
            if ((byOrder || byNoun) && (grouped || listing) && n.Number is > 0 and <= 500 && n.Number == Math.Floor(n.Number.Value))
            {
                limit = (int)n.Number.Value;
                n.Used = true;
                Understand(n, $"top {limit}");
                if (order == SortOrder.Default)
                {
                    order = SortOrder.Descending;
                }
            }
        }
        if (order != SortOrder.Default && limit is null)
        {
            if (listing && _plainListing && !orderWord)
            {
                // "list the open epics": every row (up to the row cap), none ranked away.
            }
            else if (listing)
            {
                limit = IsSingularEntity() ? 1 : Planner.DefaultListingLimit;
            }
            else if (singularGrouping)
            {
                limit = 1;
            }
        }
        return (order, limit, null);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>"top 5 pull requests", "bottom bugs": the ranked rows follow (a count between them at most).</summary>
    private bool RowsAfter(Slot s)
    {
        var n = Next(s);
        if (n?.Number is not null)
        {
            n = Next(n);
        }
        return n is not null && (n.Has(ConceptKind.Entity) || n.Entries.Any(x => x.Filter == FilterKind.IssueType));
    }

    private static bool IsRowNoun(Slot s) => s.Has(ConceptKind.Entity) || s.Entries.Any(x => x.Filter == FilterKind.IssueType);

    private bool IsPer(Slot cue) => cue.Text is "per" or "each" or "every" || cue.Text.StartsWith("for each", StringComparison.Ordinal) || cue.Text.StartsWith("for every", StringComparison.Ordinal);

    private bool HasBareGrouping() => _slots.Any(s => !s.Used && s.Has(ConceptKind.Grouping) && s.Of(ConceptKind.Grouping).Any(g => g.Dimension is { } d && !model.Dimension(d).IsTime));

    /// <summary>"the biggest PR", "which PR", "the oldest bug": one row.</summary>
    private bool IsSingularEntity()
    {
        var noun = _slots.FirstOrDefault(s => s.Has(ConceptKind.Entity) || s.Entries.Any(x => x.Filter == FilterKind.IssueType));
        if (noun is not null)
        {
            return !noun.Text.EndsWith('s') || noun.Text.EndsWith("ss", StringComparison.Ordinal);
        }
        return _filters.Count == 0;
    }

    private bool IsSingularGrouping(Slot s)
    {
        if (s.Text is "who" or "whom")
        {
            return true;
        }
        var before = lower[..s.Start];
        var singularNoun = !s.Text.EndsWith('s') || s.Text.EndsWith("ss", StringComparison.Ordinal);
        // "repo with the highest number of merged PRs" (no article before it): a singular noun that a superlative
        // right after it picks out is one row too.
        var after = lower[s.End..];
        // "which of our repositories merged the most PRs": one of them, though the noun is plural.
        return singularNoun && (SingularCueRegex().IsMatch(before) || SuperlativeAfterRegex().IsMatch(after)) || WhichOfRegex().IsMatch(before);
    }

    /// <summary>The slot right after <paramref name="s"/> when only function words stand between them.</summary>
    private Slot? Next(Slot s)
    {
        var i = _slots.IndexOf(s);
        if (i < 0 || i + 1 >= _slots.Count)
        {
            return null;
        }
        var n = _slots[i + 1];
        return OnlyFunctionWords(_work.ToString()[s.End..n.Start]) ? n : null;
    }

    private Slot? Previous(Slot s)
    {
        var i = _slots.IndexOf(s);
        if (i <= 0)
        {
            return null;
        }
        var p = _slots[i - 1];
        return OnlyFunctionWords(_work.ToString()[p.End..s.Start]) ? p : null;
    }

    private Slot? NextNumber(Slot s) => Next(s) is { Number: not null } n ? n : null;

    private string Between(Slot a, Slot b) => _work.ToString()[a.End..b.Start].Trim();

    private bool OnlyFunctionWords(string gap) =>
        Lexicon.Tokenize(gap).All(t => model.Lexicon.IsStopWord(t.Text) || t.Text is "to" or "and");

    private void Blank(int index, int length)
    {
        for (var i = index; i < index + length && i < _work.Length; i++)
        {
            _work[i] = ' ';
        }
    }

    private void Understand(Slot? s, string meaning)
    {
        if (s is not null && meaning.Length > 0 && !_understood.Any(u => u.Text == meaning))
        {
            _understood.Add((s.Start, meaning));
        }
    }

    private IReadOnlyList<string> Understood() => _understood.OrderBy(u => u.At).Select(u => u.Text).Distinct().ToList();

    /// <summary>The words no part of the reading used that are not function words, in question order.</summary>
    private List<string> LeftoverWords()
    {
        var text = _work.ToString();
        return Lexicon.Tokenize(text)
            .Where(t => !model.Lexicon.IsStopWord(t.Text) && !(t.Text.Length == 1 && !char.IsLetterOrDigit(t.Text[0])))
            .Select(t => t.Text)
            .Distinct()
            .ToList();
    }

    /// <summary>A leftover capitalised word that reads as a name ("Globex", "Initech") — not the caller's.</summary>
    private string? OtherName(IReadOnlyList<string> unknown)
    {
        foreach (Match m in CapitalisedRegex().Matches(original))
        {
            if (m.Index == 0)
            {
                continue;
            }
            var word = m.Value.ToLowerInvariant();
            // A month or a weekday ("by December 14, 2026") is a date the reader could not place, not a name.
            if (unknown.Contains(word) && !model.Lexicon.IsStopWord(word) && !TimeWindowParser.IsMonthName(word) && !Weekdays.Contains(word))
            {
                return m.Value;
            }
        }
        return null;
    }

    private static List<EntityFilter> MergeValues(IEnumerable<EntityFilter> a, IEnumerable<EntityFilter> b)
    {
        var merged = new List<EntityFilter>();
        foreach (var f in a.Concat(b))
        {
            var i = merged.FindIndex(x => x.Kind == f.Kind);
            if (i < 0)
            {
                merged.Add(f);
            }
            else
            {
                merged[i] = merged[i] with { Values = [.. merged[i].Values.Union(f.Values, StringComparer.Ordinal)] };
            }
        }
        return merged;
    }

    private ParsedQuestion Refuse(RefusalKind kind, string reason) => new()
    {
        Refusal = kind,
        RefusalReason = reason,
        Understood = Understood(),
        Question = Question,
        Vocabulary = vocabulary,
    };

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static readonly (Regex Pattern, string Type)[] IssueTypeWords =
        Words.IssueTypeWords.Select(w => (new Regex(@"(?<![\w-])(?:" + w.Pattern + @")\b", RegexOptions.Compiled), w.Type)).ToArray();

    [GeneratedRegex(@"^\s*(?:and|also|what\s+about|how\s+about|same\s+(?:for|but)|now|only|just|instead|then|but)\b|\binstead\b|\bthe\s+same\s+for\b")]
    private static partial Regex FollowUpRegex();

    [GeneratedRegex(@"(?<![\w.-])(?:(?<d>\d{1,7}(?:\.\d+)?)|(?<w>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|hundred))(?![\w-]|%|\.\d)")]
    private static partial Regex NumberRegex();

    [GeneratedRegex(@"\b(?:(?:did|do|does|were|was|are|is)\s+(?:we|you|they|the\s+team|our\s+team)\s+)?(?:manage|managed|manages|managing|able)\s+to\b")]
    private static partial Regex ManagedToRegex();

    [GeneratedRegex(@"(?:\b(?:for|of|over|across|in)\s+)?\ball[ -]time\b")]
    private static partial Regex AllTimeRegex();

    [GeneratedRegex(@"\b(?:or|nor)\s+$")]
    private static partial Regex OrBeforeRegex();

    [GeneratedRegex(@"\b(?:coming |came |come )?in\s*(?:vs\.?|versus|and|/|against|compared (?:to|with)|v\.?)\s*(?:[a-z-]+\s+){0,2}?(?:going |went |go )?out\b")]
    private static partial Regex InAndOutRegex();

    [GeneratedRegex(@"\b(?:not|never|no|without)\b|n't\b|^un")]
    private static partial Regex NegatedRegex();

    [GeneratedRegex(@"\b(?:in|into|as)\s+$")]
    private static partial Regex InBeforeRegex();

    [GeneratedRegex(@"\b(?:in|as|expressed in|measured in)\s+(?<u>days|hours)\b")]
    private static partial Regex InUnitRegex();

    [GeneratedRegex(@"^(?:under|beneath|below|inside|within)$")]
    private static partial Regex UnderRegex();

    [GeneratedRegex(@"\b(?:under|beneath|below|inside|within)\b")]
    private static partial Regex UnderWordRegex();

    /// <summary>After "under": the epic (it, them, each/an/the … epic) the child issues are placed in.</summary>
    [GeneratedRegex(@"^\s+(?:(?:it|them)\b|(?:(?:each|every|an?|the|its|their|our|all|any)\s+)?(?:(?:open|done|active|unfinished|finished|completed|closed|in[ -]progress)\s+)?epics?\b)")]
    private static partial Regex ContainedInRegex();

    [GeneratedRegex(@"\b(?<!\bon\s)(?:sit|sits|sitting|hold|holds|holding|belong|belongs|belonging|live|lives)\b(?=(?:\s+(?:in|under|to|within|inside|beneath))?(?:\s+(?:it|them|each|every|an?|the|its|their|our|open|done)\b|\s*[?.!]?\s*$|\s+on\s+average\b))")]
    private static partial Regex ContainVerbRegex();

    [GeneratedRegex(@"\b(?:are|were|is|was|got|get|gets|been|be)\s+(?:(?:already|still|actually|now|eventually|finally|all|ever)\s+)*$")]
    private static partial Regex CopulaBeforeRegex();

    [GeneratedRegex(@"^(?:are|were|is|was|got|get|gets|been)\s")]
    private static partial Regex CopulaStartRegex();

    [GeneratedRegex(@"^(?:across|among|amongst|for all)(?:\s+(?:all|the))?$")]
    private static partial Regex AcrossRegex();

    /// <summary>"deploys a week", "an hour": the article before a unit makes it the unit of a rate.</summary>
    [GeneratedRegex(@"\b(?:a|an)\s+$")]
    private static partial Regex ArticleBeforeRegex();

    [GeneratedRegex(@"\bbreak(?:ing|s)?\b(?=(?:\s+[\w'-]+){0,6}?\s+down\b)")]
    private static partial Regex BreakDownRegex();

    [GeneratedRegex(@"^\s*how\s+(?:has|have|did|does|do|is|are)\b.*\b(?<v>changed|changing|evolved|evolving|developed|trended|trending|moved|shifted)\b")]
    private static partial Regex TrendVerbRegex();

    [GeneratedRegex(@"\b(?:changed|changing|changes|change|modified|modifying|modify|touched|touching|touch|touches)\s*$")]
    private static partial Regex ThresholdVerbRegex();

    [GeneratedRegex(@"\b(?:big|bigger|large|larger|huge|small|smaller|tiny|long|short)\b")]
    private static partial Regex QualifierRegex();

    [GeneratedRegex(@"\b(?:to|in|on|into|for|from|at|of|across|within)\s+(?:the\s+)?$")]
    private static partial Regex PrepositionBeforeRegex();

    [GeneratedRegex(@"^(?:in\s+)?each\s+of\b")]
    private static partial Regex EachOfRegex();

    [GeneratedRegex(@"\bper\s+day\b|\ba\s+day\b|\bdaily\b")]
    private static partial Regex PerDayRegex();

    /// <summary>The superlatives that pick out one row, before its noun ("the busiest repo") or after it ("repo with the most …").</summary>
    private const string Superlatives = "highest|most|largest|biggest|longest|worst|slowest|best|fastest|quickest|shortest|lowest|fewest|smallest|busiest|least";

    [GeneratedRegex(@"(?:\b(?:which|what|the|one|single|top|bottom|" + Superlatives + @")\s+(?:\w+\s+)?|\bwhose\s+)$")]
    private static partial Regex SingularCueRegex();

    [GeneratedRegex(@"^\s+(?:with|that\s+(?:has|had|have)|having)\s+the\s+(?:" + Superlatives + @")\b")]
    private static partial Regex SuperlativeAfterRegex();

    [GeneratedRegex(@"(?:\b(?:a|an|the|any|one|each|every|which|what)\s+(?<w>single|individual)\s+(?:[\w-]+\s+)?|^\s*(?<w>single)\s+(?:most|least|\w+est)\b[\w-]*\s+)$")]
    private static partial Regex SingleBeforeRegex();

    [GeneratedRegex(@"\b[A-Z][a-zA-Z]+\b")]
    private static partial Regex CapitalisedRegex();

    /// <summary>Two states that hold together: the second is a part of the first ("open tickets in progress", "closed without merging, not merged").</summary>
    private static readonly (string A, string B)[] CompatibleStates =
        [("not_done", "in_progress"), ("not_done", "to_do"), ("not_merged", "closed_unmerged"), ("not_merged", "open"),
         ("not_done", "in_review"), ("in_progress", "in_review"), ("done", "wont_do")];

    /// <summary>Verbs whose "for N days" is the rows' own duration ("lasted for more than 4 hours"), not time in a state.</summary>
    private static readonly HashSet<string> DurationVerbs = new(StringComparer.Ordinal)
    {
        "lasted", "lasting", "last", "lasts", "took", "take", "takes", "taking", "ran", "run", "runs", "running",
    };

    [GeneratedRegex(@"\b(?<w>[\w'-]+)\s+for\s+$")]
    private static partial Regex InStateForRegex();

    /// <summary>"open for more than", "(open >": the open state right before an age threshold (the threshold's comparator follows).</summary>
    [GeneratedRegex(@"\b(?:(?:still|been|remained|stayed|sat|sitting)\s+)?open\s+(?:for\s+)?$")]
    private static partial Regex OpenForRegex();

    /// <summary>The open states an age threshold is said of: a PR not yet merged or closed, an issue or epic not done.</summary>
    private static readonly HashSet<string> OpenStates = new(StringComparer.Ordinal) { "open", "not_done" };

    [GeneratedRegex(@"\b(?:per|to|for every|for each|against|divided by)\s+(?:(?:the|each|a|an|one|every)\s+)?$")]
    private static partial Regex RatioDivisorRegex();

    [GeneratedRegex(@"\b(?:low|lower|high|higher|minor|major)[ -]sev(?:erity)?\b")]
    private static partial Regex SeverityQualifierRegex();

    [GeneratedRegex(@"^\s*(?<a>an?)\s+(?=(?:hour|day|week|minute)\b)")]
    private static partial Regex ArticleAfterRegex();

    [GeneratedRegex(@"\b(?<a>an?)\s+(?:hour|day|week|minute)\s*$")]
    private static partial Regex ArticleBeforeUnitRegex();

    [GeneratedRegex(@"^\s*(?:hours?|hrs?|h|days?|d|weeks?|wks?|minutes?|mins?)\s*$")]
    private static partial Regex UnitOnlyRegex();

    [GeneratedRegex(@"^\s*(?:of|after|from|since)\s+(?:(?:being|it was|they were|it's|they're)\s+)?(?:opened|open|created|creation|raised|filed|reported|submitted|started|starting)\b")]
    private static partial Regex DurationStartRegex();

    private static readonly HashSet<string> Weekdays = new(StringComparer.Ordinal)
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    };
}
