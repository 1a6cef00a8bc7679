
namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>The planner's verdict on one question: a plan, a refusal, or a prediction request.</summary>
public sealed record PlanOutcome(QueryPlan? Plan, RefusalKind Refusal, string? Reason, bool IsPrediction = false, bool IsFollowUp = false)
{
    public static PlanOutcome Refuse(RefusalKind kind, string reason) => new(null, kind, reason);
}

/// <summary>
/// Turns a parsed question into a <see cref="QueryPlan"/>, refining the conversation's previous plan
/// when the question is a follow-up ("and for last quarter?", "only team Platform", "by project instead").
/// </summary>
public static class Planner
{
    public const int DefaultPluralLimit = 5;

    public static PlanOutcome Plan(ParsedQuestion q, QueryPlan? previous, DateOnly today)
    {
        if (q.Refusal != RefusalKind.None)
        {
            return PlanOutcome.Refuse(q.Refusal, q.RefusalReason ?? "");
        }
        if (q.IsPrediction)
        {
            return new PlanOutcome(null, RefusalKind.None, null, IsPrediction: true);
        }

        var model = SemanticModel.Default;
        MetricDef metric;
        var followUp = false;
        if (q.Metric is not null)
        {
            metric = model.Metric(q.Metric);
            if (previous is not null && q.FollowUpCue)
            {
                followUp = true;
            }
        }
        else if (previous is not null && (q.HasModifiers || q.FollowUpCue))
        {
            metric = WithAggregate(previous.Metric, q.Aggregate);
            followUp = true;
        }
        else
        {
            return PlanOutcome.Refuse(RefusalKind.OutOfScope,
                "I can't map this question to a metric I know, so I won't guess a query.");
        }

        var filters = q.Filters.ToList();
        var dimension = q.Dimension;
        var window = q.Window;
        var order = q.Order;
        var limit = q.Limit;
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
            dimension ??= previous.Dimension;
            window ??= previous.DefaultWindowApplied ? null : previous.Window;
            if (order == SortOrder.Default && limit is null)
            {
                order = previous.Order;
                limit = previous.Limit;
            }
        }

        // "compare Platform and Payments" (two values of one filter, no grouping asked) groups by it.
        if (dimension is null or Dimension.None)
        {
            var multi = filters.FirstOrDefault(f => f.Values.Count > 1);
            if (multi is not null)
            {
                dimension = multi.Kind switch
                {
                    FilterKind.Team => Dimension.Team,
                    FilterKind.Project => Dimension.Project,
                    FilterKind.Repository => Dimension.Repository,
                    FilterKind.IssueType => Dimension.IssueType,
                    _ => Dimension.Assignee,
                };
            }
        }
        var dim = dimension ?? Dimension.None;
        if (dim == Dimension.None)
        {
            dim = metric.DefaultDimension;
        }
        if (metric.Name == "epic_progress_pct")
        {
            dim = Dimension.Epic;
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
                    $"{metric.Title} can't be broken down by {model.Dimension(dim).Label}; it can be broken down by {string.Join(", ", model.DimensionsOf(metric).Select(d => model.Dimension(d).LabelFor(metric.Entity)))}.");
            }
        }
        var unsupportedFilter = filters.FirstOrDefault(f => !model.FiltersOf(metric).Contains(f.Kind));
        if (unsupportedFilter is not null)
        {
            if (followUp && !q.Filters.Contains(unsupportedFilter))
            {
                filters.Remove(unsupportedFilter);
            }
            else
            {
                return PlanOutcome.Refuse(RefusalKind.UnsupportedDimension,
                    $"{metric.Title} can't be filtered by {unsupportedFilter.Kind.ToString().ToLowerInvariant()}; it can be filtered by {string.Join(", ", model.FiltersOf(metric).Select(f => f.ToString().ToLowerInvariant()))}.");
            }
        }

        var defaultWindow = false;
        if (window is null && metric.DefaultWindowDays is { } days)
        {
            window = TimeWindow.LastDays(days, today);
            defaultWindow = true;
        }
        if (dim == Dimension.None && order != SortOrder.Default)
        {
            // "the slowest" without a grouping has nothing to rank.
            order = SortOrder.Default;
            limit = null;
        }
        var plan = new QueryPlan(metric, dim, filters, window, order, limit) { DefaultWindowApplied = defaultWindow };
        return new PlanOutcome(plan, RefusalKind.None, null, IsFollowUp: followUp);
    }

    private static MetricDef WithAggregate(MetricDef m, string? aggregate)
    {
        if (aggregate is null)
        {
            return m;
        }
        var stem = m.Name switch
        {
            var n when n.StartsWith("lead_time_", StringComparison.Ordinal) => "lead_time_{0}_days",
            var n when n.StartsWith("time_to_merge_", StringComparison.Ordinal) => "time_to_merge_{0}_hours",
            _ => null,
        };
        return stem is not null && SemanticModel.Default.TryGetMetric(string.Format(System.Globalization.CultureInfo.InvariantCulture, stem, aggregate), out var variant) ? variant : m;
    }
}
