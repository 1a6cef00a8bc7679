using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using StrategicAgent.Agent.Domain.Catalog;

namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>
/// Parameterised SQL: <see cref="Sql"/> with <c>$1..$n</c> is what runs; <see cref="Parameters"/> are
/// its values ($1 is always the tenant's client id). <see cref="RenderLiteral"/> inlines them as
/// safely quoted literals for the validation service, whose EXPLAIN needs values.
/// </summary>
public sealed partial record CompiledQuery(string Sql, IReadOnlyList<object> Parameters)
{
    public string RenderLiteral() => ParameterRegex().Replace(Sql, m =>
    {
        var i = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1;
        if (i < 0 || i >= Parameters.Count)
        {
            throw new InvalidOperationException($"SQL refers to ${i + 1} but has {Parameters.Count} parameters.");
        }
        return Literal(Parameters[i]);
    });

    public static string Literal(object value) => value switch
    {
        string s => Quote(s),
        string[] a => "ARRAY[" + string.Join(", ", a.Select(Quote)) + "]::text[]",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int n => n.ToString(CultureInfo.InvariantCulture),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTimeOffset t => Quote(t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "+00") + "::timestamptz",
        _ => throw new ArgumentException($"No literal form for {value.GetType().Name}.", nameof(value)),
    };

    // standard_conforming_strings is on (the default since 9.1): only the quote needs doubling.
    private static string Quote(string s) => "'" + s.Replace("\0", "", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex ParameterRegex();
}

/// <summary>
/// Compiles a <see cref="QueryPlan"/> to parameterised SQL from the catalog's definitions. Every name
/// that came from the question is a parameter; the only literals are the catalog's own constants.
/// </summary>
public static class SqlCompiler
{
    public const int DefaultRowCap = 500;

    private const string Done = "'Done'";

    private sealed class Builder(long clientId)
    {
        public readonly List<string> Select = [];
        public readonly List<string> Joins = [];
        public readonly List<string> Where = [];
        public readonly List<string> GroupBy = [];
        public readonly List<object> Parameters = [clientId];

        public string P(object value)
        {
            Parameters.Add(value);
            return "$" + Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }

        public void Join(params string[] joins)
        {
            foreach (var j in joins)
            {
                if (!Joins.Contains(j))
                {
                    Joins.Add(j);
                }
            }
        }
    }

    public static CompiledQuery Compile(QueryPlan plan, long clientId, int rowCap = DefaultRowCap)
    {
        var b = new Builder(clientId);
        var m = plan.Metric;
        var (from, alias, time) = m.Source switch
        {
            MetricSource.Issues => ("issues i", "i", IssueTimeColumn(m)),
            MetricSource.Epics => ("issues e", "e", m.Name == "epic_progress_pct" ? "e.created" : "e.work_last_completed_at"),
            MetricSource.PullRequests => ("pull_requests pr", "pr", m.Name is "prs_opened" or "review_cycles_avg" or "rework_rate_pct" ? "pr.created_at" : "pr.merged_at"),
            MetricSource.Deployments => ("deployments d", "d", "d.deployed_at"),
            _ => ("incidents x", "x", "x.created_at"),
        };

        b.Where.Add($"{alias}.client_id = $1");
        if (m.Source is MetricSource.Issues or MetricSource.Epics or MetricSource.PullRequests)
        {
            b.Where.Add($"{alias}.active");
        }

        // Dimension label.
        string? label = null;
        var dimColumn = MetricCatalog.DimensionColumn(plan.Dimension, m.Source);
        switch (plan.Dimension)
        {
            case Dimension.Team:
                JoinTeam(b, m.Source, alias);
                label = "t.name";
                break;
            case Dimension.Project:
                JoinProject(b, alias);
                label = "p.key";
                break;
            case Dimension.Repository:
                JoinRepository(b, m.Source, alias);
                label = "r.name";
                break;
            case Dimension.Assignee:
                b.Join($"JOIN users u ON u.id = {alias}.{(m.Source == MetricSource.PullRequests ? "author_id" : "assignee_id")}");
                label = "u.name";
                break;
            case Dimension.IssueType:
                b.Join($"JOIN issuetypes it ON it.id = {alias}.issuetype_id");
                label = "it.original_name";
                break;
            case Dimension.Week:
                label = $"(date_trunc('week', {time} AT TIME ZONE 'UTC'))::date";
                break;
            case Dimension.Month:
                label = $"(date_trunc('month', {time} AT TIME ZONE 'UTC'))::date";
                break;
        }

        // Filters, always as parameters.
        foreach (var f in plan.Filters)
        {
            var values = f.Values.ToArray();
            switch (f.Kind)
            {
                case FilterKind.Team:
                    JoinTeam(b, m.Source, alias);
                    b.Where.Add($"t.name = ANY({b.P(values)})");
                    break;
                case FilterKind.Project:
                    JoinProject(b, alias);
                    b.Where.Add($"p.key = ANY({b.P(values)})");
                    break;
                case FilterKind.Repository:
                    JoinRepository(b, m.Source, alias);
                    b.Where.Add($"r.name = ANY({b.P(values)})");
                    break;
                case FilterKind.IssueType:
                    b.Join($"JOIN issuetypes it ON it.id = {alias}.issuetype_id");
                    b.Where.Add($"it.original_name = ANY({b.P(values)})");
                    break;
                case FilterKind.Assignee:
                    b.Join($"JOIN users u ON u.id = {alias}.{(m.Source == MetricSource.PullRequests ? "author_id" : "assignee_id")}");
                    b.Where.Add($"u.name = ANY({b.P(values)})");
                    break;
            }
        }

        if (plan.Window is { } w)
        {
            b.Where.Add($"{time} >= {b.P(w.From)}");
            b.Where.Add($"{time} < {b.P(w.To)}");
        }

        if (label is not null && plan.Dimension != Dimension.Epic)
        {
            b.Select.Add($"{label} AS {dimColumn}");
            b.GroupBy.Add(label);
        }

        AddMetric(b, plan, alias, time);

        var sql = new StringBuilder();
        sql.Append("SELECT ").AppendJoin(",\n       ", b.Select).Append('\n');
        sql.Append("FROM ").Append(from).Append('\n');
        foreach (var j in b.Joins)
        {
            sql.Append(j).Append('\n');
        }
        sql.Append("WHERE ").AppendJoin("\n  AND ", b.Where).Append('\n');
        if (b.GroupBy.Count > 0)
        {
            sql.Append("GROUP BY ").AppendJoin(", ", b.GroupBy).Append('\n');
        }
        var orderBy = OrderBy(plan, dimColumn);
        if (orderBy is not null)
        {
            sql.Append("ORDER BY ").Append(orderBy).Append('\n');
        }
        var limit = Math.Min(plan.Limit ?? rowCap, rowCap);
        sql.Append("LIMIT ").Append(limit.ToString(CultureInfo.InvariantCulture));
        return new CompiledQuery(sql.ToString(), b.Parameters);
    }

    private static string IssueTimeColumn(Metric m) => m.Name switch
    {
        "issues_created" or "issues_open" or "story_points_avg" => "i.created",
        _ => "i.work_last_completed_at",
    };

    private static void JoinProject(Builder b, string alias) =>
        b.Join($"JOIN projects p ON p.id = {alias}.project_id");

    private static void JoinRepository(Builder b, MetricSource source, string alias)
    {
        if (source == MetricSource.Incidents)
        {
            b.Join("JOIN deployments d ON d.id = x.deployment_id");
            alias = "d";
        }
        b.Join($"JOIN repositories r ON r.id = {alias}.repository_id");
    }

    private static void JoinTeam(Builder b, MetricSource source, string alias)
    {
        if (source is MetricSource.Issues or MetricSource.Epics)
        {
            JoinProject(b, alias);
            b.Join("JOIN teams t ON t.id = p.team_id");
        }
        else
        {
            JoinRepository(b, source, alias);
            b.Join("JOIN teams t ON t.id = r.team_id");
        }
    }

    private static void JoinStatus(Builder b, string alias, string prefix = "") =>
        b.Join($"JOIN statuses {prefix}s ON {prefix}s.id = {alias}.status_id",
               $"JOIN status_mappings {prefix}sm ON {prefix}sm.id = {prefix}s.status_mapping_id");

    private static string Round(string expr, int digits) => $"round(({expr})::numeric, {digits})";

    private static void AddMetric(Builder b, QueryPlan plan, string alias, string time)
    {
        var m = plan.Metric;
        const string days = "i.total_lead_time_seconds / 86400.0";
        const string mergeHours = "extract(epoch FROM (pr.merged_at - pr.created_at)) / 3600.0";
        switch (m.Name)
        {
            case "issues_created":
                b.Select.Add("count(*) AS issues_created");
                break;
            case "issues_completed":
            case "throughput":
                JoinStatus(b, alias);
                b.Where.Add($"sm.status_to = {Done}");
                b.Where.Add("i.work_last_completed_at IS NOT NULL");
                b.Select.Add($"count(*) AS {m.Name}");
                break;
            case "issues_open":
                JoinStatus(b, alias);
                b.Where.Add($"sm.status_to <> {Done}");
                b.Select.Add("count(*) AS issues_open");
                break;
            case "lead_time_avg_days":
            case "lead_time_median_days":
            case "lead_time_p90_days":
                JoinStatus(b, alias);
                b.Where.Add($"sm.status_to = {Done}");
                b.Where.Add("i.total_lead_time_seconds IS NOT NULL");
                b.Select.Add($"{Round(Aggregate(m.Aggregate, days), 2)} AS {m.Name}");
                b.Select.Add("count(*) AS issues");
                break;
            case "story_points_completed":
                JoinStatus(b, alias);
                b.Where.Add($"sm.status_to = {Done}");
                b.Where.Add("i.work_last_completed_at IS NOT NULL");
                b.Select.Add("coalesce(sum(i.story_points), 0) AS story_points_completed");
                b.Select.Add("count(*) AS issues");
                break;
            case "story_points_avg":
                b.Where.Add("i.story_points IS NOT NULL");
                b.Select.Add($"{Round("avg(i.story_points)", 2)} AS story_points_avg");
                b.Select.Add("count(*) AS issues");
                break;
            case "epic_progress_pct":
                b.Join("JOIN issuetypes et ON et.id = e.issuetype_id");
                JoinStatus(b, "e", "e");
                JoinProject(b, "e");
                b.Join("LEFT JOIN issues c ON c.parent_id = e.id AND c.active",
                       "LEFT JOIN statuses cs ON cs.id = c.status_id",
                       "LEFT JOIN status_mappings csm ON csm.id = cs.status_mapping_id");
                b.Where.Add("et.original_name = 'Epic'");
                b.Where.Add($"esm.status_to <> {Done}");
                b.Select.Add("e.key AS epic");
                b.Select.Add("e.summary AS summary");
                b.Select.Add("p.key AS project");
                b.Select.Add("count(c.id) AS children");
                b.Select.Add($"count(c.id) FILTER (WHERE csm.status_to = {Done}) AS done_children");
                b.Select.Add($"round(100.0 * count(c.id) FILTER (WHERE csm.status_to = {Done}) / nullif(count(c.id), 0), 1) AS epic_progress_pct");
                b.GroupBy.AddRange(["e.id", "e.key", "e.summary", "p.key"]);
                break;
            case "epic_lead_time_avg_days":
                b.Join("JOIN issuetypes et ON et.id = e.issuetype_id");
                JoinStatus(b, "e", "e");
                b.Where.Add("et.original_name = 'Epic'");
                b.Where.Add($"esm.status_to = {Done}");
                b.Where.Add("e.total_lead_time_seconds IS NOT NULL");
                b.Select.Add($"{Round("avg(e.total_lead_time_seconds / 86400.0)", 2)} AS epic_lead_time_avg_days");
                b.Select.Add("count(*) AS epics");
                break;
            case "prs_opened":
                b.Select.Add("count(*) AS prs_opened");
                break;
            case "prs_merged":
                b.Where.Add("pr.merged_at IS NOT NULL");
                b.Select.Add("count(*) AS prs_merged");
                break;
            case "time_to_merge_avg_hours":
            case "time_to_merge_median_hours":
            case "time_to_merge_p90_hours":
                b.Where.Add("pr.merged_at IS NOT NULL");
                b.Select.Add($"{Round(Aggregate(m.Aggregate, mergeHours), 2)} AS {m.Name}");
                b.Select.Add("count(*) AS prs");
                break;
            case "review_cycles_avg":
                b.Where.Add("pr.review_cycles IS NOT NULL");
                b.Select.Add($"{Round("avg(pr.review_cycles)", 2)} AS review_cycles_avg");
                b.Select.Add("count(*) AS prs");
                break;
            case "rework_rate_pct":
                b.Select.Add("round(100.0 * count(*) FILTER (WHERE pr.review_cycles > 2 OR pr.rework_commit_count > 3) / nullif(count(*), 0), 1) AS rework_rate_pct");
                b.Select.Add("count(*) FILTER (WHERE pr.review_cycles > 2 OR pr.rework_commit_count > 3) AS rework_prs");
                b.Select.Add("count(*) AS prs");
                break;
            case "deployments_count":
                b.Where.Add("d.environment = 'production'");
                b.Select.Add("count(*) AS deployments_count");
                break;
            case "deployment_frequency_per_day":
            {
                b.Where.Add("d.environment = 'production'");
                b.Where.Add("d.status = 'success'");
                var perDay = plan.Dimension switch
                {
                    Dimension.Week => "count(*) / 7.0",
                    Dimension.Month => $"count(*) / extract(day FROM ((date_trunc('month', {time} AT TIME ZONE 'UTC'))::date + interval '1 month' - interval '1 day'))",
                    _ => $"count(*) / {b.P((decimal)Math.Round(plan.Window!.Days, 4))}",
                };
                b.Select.Add($"{Round(perDay, 3)} AS deployment_frequency_per_day");
                b.Select.Add("count(*) AS deployments");
                break;
            }
            case "change_lead_time_median_hours":
            {
                b.Where.Add("d.environment = 'production'");
                b.Where.Add("d.status = 'success'");
                b.Where.Add("d.lead_time_seconds IS NOT NULL");
                const string median = "percentile_cont(0.5) WITHIN GROUP (ORDER BY d.lead_time_seconds / 3600.0)";
                b.Select.Add($"{Round(median, 2)} AS change_lead_time_median_hours");
                b.Select.Add("count(*) AS deployments");
                break;
            }
            case "change_failure_rate_pct":
            {
                b.Where.Add("d.environment = 'production'");
                const string failed = "count(*) FILTER (WHERE d.status IN ('failed', 'rolled_back') OR d.id IN (SELECT x.deployment_id FROM incidents x WHERE x.deployment_id IS NOT NULL))";
                const string rate = "100.0 * " + failed + " / nullif(count(*), 0)";
                b.Select.Add($"{Round(rate, 1)} AS change_failure_rate_pct");
                b.Select.Add($"{failed} AS failed_deployments");
                b.Select.Add("count(*) AS deployments");
                break;
            }
            case "time_to_restore_median_hours":
            {
                b.Join("JOIN deployments d ON d.id = x.deployment_id");
                b.Where.Add("d.environment = 'production'");
                b.Where.Add("x.resolved_at IS NOT NULL");
                const string median = "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM (x.resolved_at - x.created_at)) / 3600.0)";
                b.Select.Add($"{Round(median, 2)} AS time_to_restore_median_hours");
                b.Select.Add("count(*) AS incidents");
                break;
            }
            case "incidents_count":
                b.Select.Add("count(*) AS incidents_count");
                break;
            default:
                throw new InvalidOperationException($"Metric {m.Name} has no compiler rule.");
        }
    }

    private static string Aggregate(string aggregate, string expr) => aggregate switch
    {
        "median" => $"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expr})",
        "p90" => $"percentile_cont(0.9) WITHIN GROUP (ORDER BY {expr})",
        _ => $"avg({expr})",
    };

    private static string? OrderBy(QueryPlan plan, string dimColumn)
    {
        var value = plan.Metric.Name;
        var tie = plan.Dimension == Dimension.None ? "" : ", " + dimColumn;
        if (plan.Order != SortOrder.Default)
        {
            return $"{value} {(plan.Order == SortOrder.Descending ? "DESC" : "ASC")} NULLS LAST{tie}";
        }
        return plan.Dimension switch
        {
            Dimension.None => null,
            Dimension.Week or Dimension.Month => dimColumn,
            Dimension.Epic => $"{value} DESC NULLS LAST, epic",
            // Worst first for bad things and durations, biggest first for volumes.
            _ => $"{value} DESC NULLS LAST{tie}",
        };
    }
}
