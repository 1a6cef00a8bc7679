using System.Text.RegularExpressions;

namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>The planner's verdict on one question: a plan, a refusal, or a prediction request.</summary>
public sealed record PlanOutcome(QueryPlan? Plan, RefusalKind Refusal, string? Reason, bool IsPrediction = false, bool IsFollowUp = false)
{
    /// <summary>What the reader understood (a refusal says it).</summary>
    public IReadOnlyList<string> Understood { get; init; } = [];

    /// <summary>The words it could not apply (<see cref="RefusalKind.UnknownWords"/>).</summary>
    public IReadOnlyList<string> Unknown { get; init; } = [];

    /// <summary>The readings a question left open (<see cref="ParsedQuestion.Readings"/>): offered first as the nearest questions.</summary>
    public IReadOnlyList<string> Readings { get; init; } = [];

    public static PlanOutcome Refuse(RefusalKind kind, string reason) => new(null, kind, reason);
}

/// <summary>
/// Turns a read question into a <see cref="QueryPlan"/>, refining the conversation's previous plan
/// when the question is a follow-up ("and for last quarter?", "only team Platform", "by project instead").
/// </summary>
public static partial class Planner
{
    /// <summary>A predicate that fixes one column to one value: <c>d.status = 'success'</c>.</summary>
    [GeneratedRegex(@"^(?<col>[a-z_]+\.[a-z_]+) = '(?<v>[^']*)'$")]
    private static partial Regex FixedValueRegex();

    /// <summary>Rows of a listing asked in the plural without a number ("the oldest open bugs").</summary>
    public const int DefaultListingLimit = 10;

    public static PlanOutcome Plan(ParsedQuestion q, QueryPlan? previous, DateOnly today)
    {
        var model = SemanticModel.Default;
        if (q.NeedsContext && previous is not null && q.Vocabulary is not null)
        {
            // A follow-up that names no entity: read it again in the previous question's terms.
            q = QuestionParser.Parse(q.Question, q.Vocabulary, today, previous.Metric.Entity) with { FollowUpCue = true };
        }
        if (q.Refusal != RefusalKind.None)
        {
            return new PlanOutcome(null, q.Refusal, q.RefusalReason ?? "") { Understood = q.Understood, Unknown = q.Unknown, Readings = q.Readings };
        }
        if (q.IsPrediction)
        {
            return new PlanOutcome(null, RefusalKind.None, null, IsPrediction: true);
        }

        MetricDef metric;
        var followUp = false;
        if (q.Metric is not null && !q.NeedsContext)
        {
            metric = model.Metric(q.Metric);
            followUp = previous is not null && q.FollowUpCue;
        }
        else if (previous is not null && (q.HasModifiers || q.FollowUpCue))
        {
            metric = WithAggregate(model, previous.Metric, q.Aggregate);
            followUp = true;
        }
        else
        {
            // Nothing says what to measure: out of scope (a language model may try; the offline planner refuses).
            return new PlanOutcome(null, RefusalKind.OutOfScope, "I can't map this question to a metric I know, so I won't guess a query.")
            {
                Understood = q.Understood,
                Unknown = q.Unknown,
            };
        }

        var filters = q.Filters.ToList();
        var conditions = q.Conditions.ToList();
        var dimension = q.Dimension;
        var window = q.Window;
        var order = q.Order;
        var limit = q.Limit;
        var subset = q.Subset;
        var denominator = q.Denominator;
        if (followUp)
        {
            // A follow-up keeps what it does not restate; a filter of the same kind replaces the old one.
            foreach (var f in previous!.Filters)
            {
                if (!filters.Any(x => x.Kind == f.Kind))
                {
                    filters.Add(f);
                }
            }
            if (previous.Metric.Entity == metric.Entity)
            {
                conditions = [.. previous.Conditions.Where(c => !conditions.Contains(c)), .. conditions];
                subset ??= previous.Subset;
                denominator ??= previous.Denominator;
            }
            dimension ??= previous.Dimension;
            window ??= previous.DefaultWindowApplied ? null : previous.Window;
            if (order == SortOrder.Default && limit is null)
            {
                order = previous.Order;
                limit = previous.Limit;
            }
        }

        // "compare Platform and Payments" (two values of one filter, no grouping asked) groups by it.
        if (dimension is null or Dimension.None && metric.Aggregation != Aggregation.Value)
        {
            var multi = filters.FirstOrDefault(f => f.Values.Count > 1 && f.Kind is FilterKind.Team or FilterKind.Project or FilterKind.Repository or FilterKind.Assignee or FilterKind.IssueType);
            if (multi is not null && subset is null)
            {
                dimension = model.DimensionOf(multi.Kind).Dimension;
            }
        }
        var dim = dimension ?? Dimension.None;
        if (dim == Dimension.None)
        {
            dim = metric.DefaultDimension;
        }
        if (metric.OnlyDimensions is [var only])
        {
            dim = only;
        }
        if (!model.Supports(metric, dim))
        {
            // A follow-up switching metric may inherit a grouping the new metric lacks: drop it quietly.
            if (followUp && q.Dimension is null)
            {
                dim = metric.DefaultDimension;
            }
            else
            {
                return PlanOutcome.Refuse(RefusalKind.UnsupportedDimension,
                    $"{metric.Title} can't be broken down by {model.Dimension(dim).Label}; it can be broken down by {string.Join(", ", model.DimensionsOf(metric).Select(d => model.Dimension(d).LabelFor(metric.Entity)).Distinct())}.");
            }
        }
        var supported = model.FiltersOf(metric);
        foreach (var unsupportedFilter in filters.Where(f => !supported.Contains(f.Kind)).ToList())
        {
            if (followUp && !q.Filters.Contains(unsupportedFilter))
            {
                filters.Remove(unsupportedFilter);
                continue;
            }
            return PlanOutcome.Refuse(RefusalKind.UnsupportedDimension,
                $"{metric.Title} can't be filtered by {model.DimensionOf(unsupportedFilter.Kind).Label}; it can be filtered by {string.Join(", ", supported.Select(f => model.DimensionOf(f).Label))}.");
        }
        var entity = model.Entity(metric.Entity);
        conditions.RemoveAll(c => c.Predicate is { } p && entity.Predicate(p) is null || c.Attribute is { } a && entity.Attribute(a) is null);
        // "failed deployment frequency": the metric fixes the value of a column the question filters to another (deployment frequency
        // counts successful deployments) — both at once hold for no row, and a 0 would be shown. Refused, naming both.
        foreach (var f in filters.Where(f => model.DimensionOf(f.Kind).Bindings.ContainsKey(metric.Entity)))
        {
            var column = model.DimensionOf(f.Kind).Bindings[metric.Entity].Expression;
            foreach (var c in metric.Conditions.Select(entity.Predicate).OfType<PredicateDef>())
            {
                if (FixedValueRegex().Match(c.Sql) is { Success: true } fixedValue && fixedValue.Groups["col"].Value == column
                    && !f.Values.Contains(fixedValue.Groups["v"].Value))
                {
                    return PlanOutcome.Refuse(RefusalKind.Unsupported,
                        $"{metric.Title} counts only {c.Label} {entity.Plural}; the question asks for {string.Join(" or ", f.Values)} ones. Ask for a count or a share of {string.Join(" or ", f.Values)} {entity.Plural} instead.");
                }
            }
        }

        var defaultWindow = false;
        if (window is null && (metric.DefaultWindowDays is not null || metric.Aggregation == Aggregation.RatePerDay && (dim == Dimension.None || !model.Dimension(dim).IsTime)))
        {
            window = TimeWindow.LastDays(metric.DefaultWindowDays ?? 90, today);
            defaultWindow = true;
        }
        if (dim == Dimension.None && metric.Aggregation != Aggregation.Value && order != SortOrder.Default)
        {
            // "the slowest" without a grouping has nothing to rank.
            order = SortOrder.Default;
            limit = null;
        }
        var plan = new QueryPlan(metric, dim, filters, window, order, limit)
        {
            DefaultWindowApplied = defaultWindow,
            Conditions = conditions,
            Subset = metric.Aggregation is Aggregation.Share && metric.ShareOf is null || metric is { Aggregation: Aggregation.Ratio, PerAttribute: null } ? subset : null,
            Denominator = metric is { Aggregation: Aggregation.Ratio, PerAttribute: null } ? denominator : null,
            RateUnitDays = metric.Aggregation == Aggregation.RatePerDay ? q.RateUnitDays ?? (followUp ? previous!.RateUnitDays : null) : null,
            AveragePerGroup = q.AveragePerGroup && metric.Aggregation == Aggregation.Count && dim != Dimension.None && !model.Dimension(dim).IsTime,
        };
        if (plan.Metric.Aggregation == Aggregation.Share && plan.Metric.ShareOf is null && plan.Subset is null
            || plan.Metric is { Aggregation: Aggregation.Ratio, PerAttribute: null } && (plan.Subset is null || plan.Denominator is null))
        {
            return new PlanOutcome(null, RefusalKind.UnknownWords, null) { Understood = q.Understood, Unknown = ["share of what"] };
        }
        return new PlanOutcome(plan, RefusalKind.None, null, IsFollowUp: followUp) { Understood = q.Understood };
    }

    private static MetricDef WithAggregate(SemanticModel model, MetricDef m, Aggregation? aggregate)
    {
        if (aggregate is not { } a || m.Attribute is null || m.Aggregation is not (Aggregation.Avg or Aggregation.Median or Aggregation.P90 or Aggregation.Min or Aggregation.Max))
        {
            return m;
        }
        return model.Measure(m.Entity, a, m.Attribute, null, m.Conditions, m.TimeAttribute);
    }
}
