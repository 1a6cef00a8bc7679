using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace StrategicAgent.Bench;

/// <summary>
/// Where PostgreSQL's time goes during a bench: <c>pg_stat_statements</c> (preloaded by every local server) on a
/// server, reset before the run and read after it, grouped into statement kinds (the cost check's EXPLAIN, the
/// tenant's session settings, transaction control, the asks' queries by table, the agent's conversation writes),
/// execution plus planning time. The statement texts are normalised (numbers and strings cut) before grouping:
/// EXPLAIN is a utility statement whose literal text pg_stat_statements keeps per window.
/// </summary>
internal static partial class PgStatements
{
    public static async Task ResetAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        // One statement per command: ALTER SYSTEM may not run inside the implicit transaction of a multi-statement batch.
        foreach (var sql in new[] { "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "ALTER SYSTEM SET pg_stat_statements.track_planning = on", "SELECT pg_reload_conf()", "SELECT pg_stat_statements_reset()" })
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Appends a table of statement kinds by total time (ms) to the report; <paramref name="asks"/> turns totals into ms per ask.</summary>
    public static async Task ReportAsync(string server, string connectionString, long asks, StringBuilder report, CancellationToken ct)
    {
        var kinds = new Dictionary<string, (long Calls, double ExecMs, double PlanMs, long Rows)>(StringComparer.Ordinal);
        await using (var conn = new NpgsqlConnection(connectionString))
        {
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand(
                "SELECT query, calls, total_exec_time, total_plan_time, rows FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%'", conn);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var kind = Kind(r.GetString(0));
                var k = kinds.GetValueOrDefault(kind);
                kinds[kind] = (k.Calls + r.GetInt64(1), k.ExecMs + r.GetDouble(2), k.PlanMs + r.GetDouble(3), k.Rows + r.GetInt64(4));
            }
        }
        var total = kinds.Values.Sum(k => k.ExecMs + k.PlanMs);
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"PostgreSQL statements on the {server} (pg_stat_statements over the whole run, {asks:N0} asks incl. warm-up; exec + plan ms; backend time only, not parse or protocol):");
        report.AppendLine();
        report.AppendLine("| statement kind | calls | calls/ask | exec ms | plan ms | ms/ask | share |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (kind, k) in kinds.OrderByDescending(x => x.Value.ExecMs + x.Value.PlanMs).Take(14))
        {
            var ms = k.ExecMs + k.PlanMs;
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {kind} | {k.Calls:N0} | {(double)k.Calls / Math.Max(1, asks):0.00} | {k.ExecMs:N0} | {k.PlanMs:N0} | {ms / Math.Max(1, asks):0.000} | {(total == 0 ? 0 : ms / total):0.0%} |");
        }
        report.AppendLine(CultureInfo.InvariantCulture, $"| all | {kinds.Values.Sum(k => k.Calls):N0} | | | | {total / Math.Max(1, asks):0.000} | |");
    }

    /// <summary>
    /// What a per-tenant, per-day rollup would hold: for each entity and time column, the base rows of the
    /// measured tenant against the rows of a rollup keyed by the day plus the listed columns (what a question
    /// may filter or group by and still be answered from it). The ratio is how many base rows one rollup row
    /// replaces — the most a rollup can save on the rows a query reads.
    /// </summary>
    public static async Task RollupDensityAsync(string connectionString, long clientId, StringBuilder report, CancellationToken ct)
    {
        (string Entity, string Table, string Time, string[][] Keys)[] cases =
        [
            ("issues by creation day", "issues", "created", [[], ["project_id"], ["issuetype_id"], ["project_id", "issuetype_id"], ["project_id", "issuetype_id", "status_id", "priority"], ["project_id", "issuetype_id", "status_id", "priority", "assignee_id"]]),
            ("issues by completion day", "issues", "work_last_completed_at", [[], ["project_id"], ["project_id", "issuetype_id"], ["project_id", "issuetype_id", "assignee_id"]]),
            ("pull requests by creation day", "pull_requests", "created_at", [[], ["repository_id"], ["repository_id", "status"], ["repository_id", "status", "author_id"]]),
            ("deployments by day", "deployments", "deployed_at", [[], ["repository_id"], ["repository_id", "environment", "status"]]),
        ];
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Rollup density (tenant {clientId}, replica): base rows per rollup row for a rollup keyed by (tenant, day, …):");
        report.AppendLine();
        report.AppendLine("| rows | base rows | days | key (besides tenant and day) | rollup rows | base rows per rollup row |");
        report.AppendLine("|---|---:|---:|---|---:|---:|");
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        foreach (var (entity, table, time, keys) in cases)
        {
            foreach (var key in keys)
            {
                var cols = string.Concat(key.Select(k => ", " + k));
                await using var cmd = new NpgsqlCommand(
                    $"SELECT sum(n)::bigint, count(DISTINCT d), count(*) FROM (SELECT ({time} AT TIME ZONE 'UTC')::date AS d{cols}, count(*) AS n FROM {table} WHERE client_id = $1 AND {time} IS NOT NULL GROUP BY 1{string.Concat(key.Select((_, i) => ", " + (i + 2).ToString(CultureInfo.InvariantCulture)))}) g", conn);
                cmd.Parameters.Add(new NpgsqlParameter { Value = clientId });
                await using var r = await cmd.ExecuteReaderAsync(ct);
                await r.ReadAsync(ct);
                long rows = r.IsDBNull(0) ? 0 : r.GetInt64(0), days = r.GetInt64(1), groups = r.GetInt64(2);
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {entity} | {rows:N0} | {days:N0} | {(key.Length == 0 ? "—" : string.Join(", ", key))} | {groups:N0} | {(groups == 0 ? 0 : (double)rows / groups):0.0} |");
            }
        }
    }

    /// <summary>A statement's kind: its verb and the first table it reads or writes, literals cut.</summary>
    internal static string Kind(string query)
    {
        var q = Whitespace().Replace(query, " ").Trim();
        var explain = q.StartsWith("EXPLAIN", StringComparison.OrdinalIgnoreCase);
        if (explain)
        {
            q = ExplainPrefix().Replace(q, "");
        }
        var verb = q.Split(' ', 2)[0].ToUpperInvariant();
        var table = FirstTable().Match(q) is { Success: true } m ? m.Groups[1].Value : null;
        var head = verb switch
        {
            "SELECT" or "WITH" when table is not null => $"SELECT … FROM {table}",
            "SELECT" when q.Contains("set_config", StringComparison.OrdinalIgnoreCase) => "SELECT set_config (tenant)",
            "INSERT" or "UPDATE" or "DELETE" when table is not null => $"{verb} {table}",
            _ => Literals().Replace(q.Length <= 60 ? q : q[..60], "?"),
        };
        return explain ? "EXPLAIN (cost check) " + head : head;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^EXPLAIN\s*(\([^)]*\))?\s*", RegexOptions.IgnoreCase)]
    private static partial Regex ExplainPrefix();

    [GeneratedRegex(@"\b(?:FROM|INTO|UPDATE)\s+([a-z_][a-z0-9_.]*)", RegexOptions.IgnoreCase)]
    private static partial Regex FirstTable();

    [GeneratedRegex(@"'[^']*'|\b\d+(\.\d+)?\b|\$\d+")]
    private static partial Regex Literals();
}
