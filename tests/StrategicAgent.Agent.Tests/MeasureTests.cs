using System.Globalization;
using Npgsql;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// Measures, listings and rows the semantic layer gained in session 10 (stream agent-measures), each asked through the whole
/// loop — the real validation service (libpg_query, catalog, EXPLAIN on the replica, the judge) and the replica under the
/// tenant's row-level security — and compared with SQL written by hand on the demo data of tenant 1 ("today" 2026-11-01).
/// Each case also shows that the data holds what makes it matter (rows a careless answer would count), so it can fail.
/// </summary>
public sealed class MeasureTests(AgentFixture db, ITestOutputHelper output)
{
    private const string ThisYear = "'2026-01-01+00' AND {0} < '2026-11-02+00'";

    private static string Year(string column) => $"{column} >= " + string.Format(CultureInfo.InvariantCulture, ThisYear, column);

    // ------------------------------------------------------------------ a share of a threshold on a value the data may leave empty

    private static readonly string DoneStoriesThisYear = """
        FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND it.original_name = 'Story' AND sm.status_to = 'Done' AND
        """ + " " + Year("i.work_last_completed_at");

    [Fact]
    public async Task A_share_of_a_threshold_is_taken_of_the_rows_whose_value_is_known()
    {
        var ct = TestContext.Current.CancellationToken;
        // The data has done stories without a lead time (Won't Do: done, never started): counting them as "not within a week"
        // would give another number.
        var unknown = await ScalarAsync("SELECT count(*) " + DoneStoriesThisYear + " AND i.total_lead_time_seconds IS NULL", ct);
        Assert.True(unknown > 0, "no done story without a lead time in the demo data: the case tests nothing");

        var answer = await AskAsync("what percentage of the stories completed this year were done within a week?", ct);
        var expected = await ScalarAsync("SELECT 100.0 * count(*) FILTER (WHERE i.total_lead_time_seconds <= 7 * 86400) / count(*) "
                                          + DoneStoriesThisYear + " AND i.total_lead_time_seconds IS NOT NULL", ct);
        var careless = await ScalarAsync("SELECT 100.0 * count(*) FILTER (WHERE i.total_lead_time_seconds <= 7 * 86400) / count(*) " + DoneStoriesThisYear, ct);
        Assert.True(Math.Abs(expected - careless) >= 0.1, $"{expected} vs {careless}: the unknown rows change nothing shown");
        Assert.Equal(Math.Round(expected, 1), First(answer));
        Assert.Contains("with a lead time only", answer.Reading, StringComparison.Ordinal);
        Assert.Contains("left out", answer.Reading, StringComparison.Ordinal);

        // The same convention on pull requests: a PR without a recorded size is left out of "share of merged PRs with over 10 files".
        const string merged = " FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.merged_at IS NOT NULL";
        Assert.True(await ScalarAsync("SELECT count(*)" + merged + " AND pr.changed_files IS NULL", ct) > 0, "no PR without a size in the demo data");
        answer = await AskAsync("share of merged pull requests with more than 10 changed files", ct);
        Assert.Equal(Math.Round(await ScalarAsync("SELECT 100.0 * count(*) FILTER (WHERE pr.changed_files > 10) / count(*)" + merged + " AND pr.changed_files IS NOT NULL", ct), 1),
            First(answer));
        Assert.Contains("with a recorded number of changed files only", answer.Reading, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ helpers

    private async Task<AgentAnswer> AskAsync(string question, CancellationToken ct)
    {
        var loop = await LoopHarness.LoopAsync(db, new Ai.OfflineSqlGenerator(db.LoopOptions()));
        var answer = await loop.AskAsync(new AskInput(question, AgentFixture.Tenant, null), null, ct);
        output.WriteLine($"{question}\n  {answer.Status}: {answer.Reading}\n  {answer.Sql}");
        Assert.True(answer.Status == AnswerStatus.Answered, $"'{question}': {answer.Status} {answer.Text}");
        var bad = answer.Trace.Where(t => t.Verdict is Verdict.Fail or Verdict.Warn).ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad.Select(t => $"{t.Stage} {t.Verdict} {t.Detail}")));
        return answer;
    }

    private static double First(AgentAnswer answer) => Convert.ToDouble(Assert.Single(answer.Rows)[0], CultureInfo.InvariantCulture);

    private async Task<double> ScalarAsync(string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(db.ReplicaConnectionString + ";Timezone=UTC");
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToDouble(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private async Task<List<object?[]>> RowsAsync(string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(db.ReplicaConnectionString + ";Timezone=UTC");
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(ct))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }
}
