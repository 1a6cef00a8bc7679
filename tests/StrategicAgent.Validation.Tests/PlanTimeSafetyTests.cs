using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Testing;
using StrategicAgent.Validation.Data;
using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Tests.Corpus;
using Xunit;
using CostLevel = StrategicAgent.Protos.Validation.V1.CostLevel;

namespace StrategicAgent.Validation.Tests;

/// <summary>
/// The cost check on the real replica, logged in as the AppHost logs validation in (sa_reader):
/// it never computes the caller's expressions while planning, and what it answers does not depend on
/// another tenant's data. Each case first shows that a plain EXPLAIN of the same SQL — what the cost
/// check used to run — does compute it (or does reveal the other tenant), so a case cannot pass for
/// the wrong reason.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class PlanTimeSafetyTests(DemoDataFixture db, ITestOutputHelper output) : IAsyncLifetime
{
    private ValidationHost _host = null!;

    public async ValueTask InitializeAsync() =>
        // The cache off: every call below plans.
        _host = await ValidationHost.StartAsync(db.ReplicaReaderConnectionString, new Dictionary<string, string?> { ["Validation:Cost:CacheSeconds"] = "0" });

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Computed => new()
    {
        { "SELECT 1/0 AS x", "division by zero" },
        { "SELECT repeat('x', 2000000000) AS x", "requested length too large" },
        { "SELECT count(*) FROM issues WHERE summary = (1 / (pg_backend_pid() * 0))::text", "division by zero" },
        { "SELECT count(*) FROM issues WHERE key = repeat(current_user::text, 1 / (ascii(current_user) - ascii(current_user)))", "division by zero" },
        { "SELECT count(*) FROM issues WHERE created > now() - (1 / 0) * interval '1 day'", "division by zero" },
    };

    [Theory]
    [MemberData(nameof(Computed))]
    public async Task The_callers_expressions_are_never_computed_while_planning(string sql, string plainExplainError)
    {
        // An expression that fails when computed shows whether planning computes it.
        var plain = await PlainExplainAsync(sql, clientId: 1);
        Assert.Contains(plainExplainError, plain.Error ?? "(planned without error)");

        var started = Stopwatch.GetTimestamp();
        var report = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = sql, ClientId = 1 }, cancellationToken: Ct);
        output.WriteLine($"cost check: {report.Stage} {report.Cost.Level} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        Assert.True(report.Valid, string.Join("; ", report.Errors));
        Assert.Equal(CostLevel.Low, report.Cost.Level);
    }

    [Fact]
    public async Task Eight_callers_each_asking_for_a_gigabyte_string_are_all_answered_and_nothing_is_computed()
    {
        const string sql = "SELECT repeat('x', 1000000000) AS x, count(*) FROM issues WHERE client_id = 1";
        var started = Stopwatch.GetTimestamp();
        var reports = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = sql, ClientId = 1 }, cancellationToken: Ct).ResponseAsync));
        output.WriteLine($"8 concurrent cost checks in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        Assert.All(reports, r => Assert.True(r.Valid, string.Join("; ", r.Errors)));
    }

    [Fact]
    public async Task A_tenant_cannot_learn_another_tenants_size_from_the_cost_check()
    {
        var tenants = new List<long>();
        await using (var conn = await db.OpenReplicaAsync(Ct))
        await using (var cmd = new NpgsqlCommand("SELECT client_id, count(*) FROM issues GROUP BY client_id ORDER BY 2", conn))
        await using (var reader = await cmd.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                tenants.Add(reader.GetInt64(0));
                output.WriteLine($"tenant {reader.GetInt64(0)}: {reader.GetInt64(1)} issues");
            }
        }
        Assert.True(tenants.Count >= 2);
        var asker = tenants[0];
        var others = tenants.Skip(1).Append(999_999).ToList();

        string[] templates =
        [
            "SELECT count(*) FROM issues WHERE client_id = {0}",
            "SELECT key, summary FROM issues WHERE client_id = {0} ORDER BY created DESC LIMIT 1000",
            "SELECT i.key FROM issues i JOIN pull_requests p ON p.issue_id = i.id WHERE p.client_id = {0} AND i.client_id = {0} LIMIT 1000",
        ];
        using var dataSource = NpgsqlDataSource.Create(db.ReplicaReaderConnectionString);
        using var estimator = new ExplainCostEstimator(dataSource, Microsoft.Extensions.Options.Options.Create(new ValidationOptions()));
        var leakedBefore = false;
        foreach (var template in templates)
        {
            var plainRows = new HashSet<double>();
            var estimates = new HashSet<(double, double)>();
            var answers = new HashSet<string>();
            foreach (var other in others)
            {
                var sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, other);
                plainRows.Add((await PlainExplainAsync(sql, asker)).Rows);
                var estimate = await estimator.EstimateAsync(sql, 0, asker, Ct);
                Assert.Null(estimate.Error);
                estimates.Add((estimate.TotalCost, estimate.PlanRows));
                var report = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = sql, ClientId = asker }, cancellationToken: Ct);
                Assert.True(report.Valid, string.Join("; ", report.Errors));
                answers.Add(report.Cost.ToString() + string.Join("|", report.Errors.Concat(report.Warnings).Select(f => f.Message)));
            }
            output.WriteLine($"{template}: plain EXPLAIN rows {string.Join(", ", plainRows)}; cost check estimates {string.Join(", ", estimates)}; answers {answers.Count}");
            leakedBefore |= plainRows.Count > 1;
            // Whatever tenant the SQL names, the planner's own estimate is the same, and so is the answer.
            Assert.Single(estimates);
            Assert.Single(answers);
        }
        Assert.True(leakedBefore, "precondition: a plain EXPLAIN estimates differently per named tenant on this data");
    }

    [Fact]
    public async Task Every_corpus_query_a_plain_explain_plans_is_planned_the_safe_way_too()
    {
        using var dataSource = NpgsqlDataSource.Create(db.ReplicaReaderConnectionString);
        using var estimator = new ExplainCostEstimator(dataSource, Microsoft.Extensions.Options.Options.Create(new ValidationOptions()));
        int both = 0, sameLevel = 0;
        var lost = new List<string>();
        var missedOverLimit = new List<string>();
        var limits = new CostLimits();
        foreach (var c in CorpusFile.Load())
        {
            var check = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = c.Sql, ClientId = 1 }, cancellationToken: Ct);
            if (!check.Valid || c.Sql.Contains('$', StringComparison.Ordinal))
            {
                continue; // never reaches the cost stage / the caller's own parameters were always planned generically
            }
            var plain = await PlainExplainAsync(c.Sql, 1);
            var safe = await estimator.EstimateAsync(c.Sql, 0, 1, Ct);
            if (plain.Error is not null)
            {
                continue;
            }
            if (safe.Error is not null)
            {
                lost.Add($"{c.Id}: {safe.Error.Message}\n{c.Sql}");
                continue;
            }
            both++;
            var (before, after) = (CostLevels.Of(plain.Cost, plain.Rows, limits), CostLevels.Of(safe.TotalCost, safe.PlanRows, limits));
            if (before == after)
            {
                sameLevel++;
            }
            else
            {
                output.WriteLine($"{c.Id}: plain {before} (cost {plain.Cost}, rows {plain.Rows}), safe {after} (cost {safe.TotalCost}, rows {safe.PlanRows})");
                if (before == Domain.CostLevel.OverLimit)
                {
                    missedOverLimit.Add(c.Id);
                }
            }
        }
        output.WriteLine($"{both} corpus queries planned both ways; same cost level for {sameLevel}");
        Assert.True(lost.Count == 0, "planned plainly but not safely:\n" + string.Join("\n\n", lost));
        Assert.True(missedOverLimit.Count == 0, "too expensive for a plain EXPLAIN but not for the safe plan: " + string.Join(", ", missedOverLimit));
        Assert.True(both >= 50, $"only {both} corpus queries reached the comparison");
    }

    private sealed record Plain(double Cost, double Rows, string? Error, double Ms);

    /// <summary>What the cost check used to run: EXPLAIN of the literal SQL in the tenant's session.</summary>
    private async Task<Plain> PlainExplainAsync(string sql, long clientId)
    {
        await using var conn = new NpgsqlConnection(db.ReplicaReaderConnectionString);
        await conn.OpenAsync(Ct);
        await using var tx = await TenantSession.BeginReadOnlyAsync(conn, clientId, TimeSpan.FromSeconds(20), Ct);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var cmd = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + sql, conn, tx);
            var json = (string)(await cmd.ExecuteScalarAsync(Ct))!;
            using var plan = JsonDocument.Parse(json);
            var top = plan.RootElement[0].GetProperty("Plan");
            return new Plain(top.GetProperty("Total Cost").GetDouble(), top.GetProperty("Plan Rows").GetDouble(), null, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (PostgresException e)
        {
            return new Plain(0, 0, e.MessageText, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
