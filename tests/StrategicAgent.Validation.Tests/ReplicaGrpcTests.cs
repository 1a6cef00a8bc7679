using Grpc.Core;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Testing;
using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Tests.Corpus;
using Xunit;
using Codes = StrategicAgent.Validation.Domain.Codes;
using ValidationReport = StrategicAgent.Protos.Validation.V1.ValidationReport;
using CostLevel = StrategicAgent.Protos.Validation.V1.CostLevel;

namespace StrategicAgent.Validation.Tests;

/// <summary>
/// The service over a real socket (HTTP/2 Kestrel on 127.0.0.1, real GrpcChannel) against the real
/// replica (logical subscriber with small demo data): live catalog, EXPLAIN cost, the whole corpus.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class ReplicaGrpcTests(DemoDataFixture db, ITestOutputHelper output) : IAsyncLifetime
{
    private ValidationHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await ValidationHost.StartAsync(db.ReplicaConnectionString);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Whole_corpus_over_grpc_with_live_catalog_and_cost_has_100_percent_precision_and_recall()
    {
        var score = new CorpusScore();
        var codes = CorpusFile.StaticCodes.Concat(CorpusFile.CostCodes).Concat(CorpusFile.SemanticCodes).ToArray();
        foreach (var c in CorpusFile.Load())
        {
            // The corpus's questions say "this year" of 2025: the judge reads them on its last day.
            var request = new ValidateSqlRequest { Sql = c.Sql, Question = c.Question, SkipSemantic = c.Intent is null, Today = "2025-12-31" };
            if (c.Intent is { } i)
            {
                request.Intent = new Intent
                {
                    Metric = i.Metric, Aggregate = i.Aggregate, TimeWindow = i.TimeWindow, TimeColumn = i.TimeColumn,
                    Ordering = i.Ordering, Limit = i.Limit, ResultShape = i.ResultShape,
                };
                request.Intent.GroupBy.AddRange(i.GroupBy);
                request.Intent.Filters.AddRange(i.Filters);
            }
            var report = await _host.Client.ValidateAsync(request, cancellationToken: Ct);
            var findings = report.Errors.Concat(report.Warnings).ToList();
            // Validate stops at the first failing stage: a case expecting static errors never reaches
            // cost; one expecting a cost error has no static error.
            var expected = c.Expected.ToHashSet();
            score.Add(c, expected, findings.Select(f => f.Code).Where(codes.Contains).ToHashSet(),
                $"stage={report.Stage} " + string.Join(" | ", findings.Select(f => $"{f.Code}@{f.Position}: {f.Message}")));
            Assert.Equal(report.Errors.Count == 0, report.Valid);
        }
        output.WriteLine(score.Report(codes, out var perfect));
        foreach (var m in score.Mismatches)
        {
            output.WriteLine(m);
        }
        Assert.True(perfect, "corpus over gRPC below 100%:\n" + string.Join("\n", score.Mismatches));
    }

    [Fact]
    public async Task Report_has_everything_the_gateway_route_needs()
    {
        var sql = """
            SELECT t.name AS team, count(*) AS issues
            FROM issues i JOIN users u ON u.id = i.assignee_id JOIN teams t ON t.id = u.team_id
            WHERE i.client_id = 1 AND i.created >= now() - interval '90 days'
            GROUP BY t.name ORDER BY issues DESC LIMIT 10
            """;
        var report = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = sql, SkipSemantic = true }, cancellationToken: Ct);
        Assert.True(report.Valid, string.Join("; ", report.Errors));
        Assert.Equal("ok", report.Stage);
        Assert.Equal(["issues", "teams", "users"], report.Tables.Order());
        Assert.Contains("issues.created", report.Columns);
        Assert.Contains("teams.name", report.Columns);
        Assert.Matches("^[0-9a-f]{16}$", report.Fingerprint);
        Assert.Contains("$1", report.Normalized);
        Assert.NotNull(report.Cost);
        Assert.True(report.Cost.Level != CostLevel.Unspecified && report.Cost.MaxCost > 0);
        Assert.Equal(["syntax", "static", "cost"], report.Timings.Select(t => t.Stage));
        Assert.All(report.Timings, t => Assert.True(t.Ms >= 0));
    }

    [Fact]
    public async Task Same_query_with_other_constants_has_the_same_fingerprint()
    {
        var a = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = "SELECT count(*) FROM issues WHERE client_id = 1 AND story_points > 3" }, cancellationToken: Ct);
        var b = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = "select count(*)\nfrom issues where client_id = 7 and story_points > 13" }, cancellationToken: Ct);
        Assert.Equal(a.Fingerprint, b.Fingerprint);
    }

    [Fact]
    public async Task Live_catalog_knows_only_what_the_query_role_can_read()
    {
        var report = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = "SELECT count(*) FROM api_keys" }, cancellationToken: Ct);
        Assert.Contains(report.Errors, e => e.Code == Codes.UnknownTable);
        var learning = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = "SELECT count(*) FROM ai_learning_memory" }, cancellationToken: Ct);
        Assert.Contains(learning.Errors, e => e.Code == Codes.UnknownTable);
        var ok = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = "SELECT count(*) FROM pull_requests WHERE client_id = 1" }, cancellationToken: Ct);
        Assert.True(ok.Valid);
    }

    [Fact]
    public async Task Live_catalog_equals_the_migration_schema_for_the_contract_tables()
    {
        var provider = new Data.ReplicaCatalogProvider(
            Npgsql.NpgsqlDataSource.Create(db.ReplicaConnectionString),
            Microsoft.Extensions.Options.Options.Create(new Data.CatalogOptions()),
            TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Data.ReplicaCatalogProvider>.Instance);
        var live = await provider.GetAsync(Ct);
        var schema = TestCatalog.Schema;
        foreach (var table in schema.Tables)
        {
            var liveTable = live.Find(table.Name);
            Assert.NotNull(liveTable);
            Assert.Equal(table.Columns.Select(c => c.Name), liveTable.Columns.Select(c => c.Name));
            Assert.Equal(table.TenantColumn, liveTable.TenantColumn);
        }
        Assert.Null(live.Find("api_keys"));
        Assert.Null(live.Find("ai_learning_memory"));
        output.WriteLine($"live catalog: {string.Join(", ", live.Tables.Select(t => t.Name))}");
    }

    [Fact]
    public async Task Cost_stage_reports_a_level_against_the_limits()
    {
        var cheap = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = "SELECT count(*) FROM issues WHERE client_id = 1" }, cancellationToken: Ct);
        Assert.True(cheap.Valid, string.Join("; ", cheap.Errors));
        Assert.Equal(CostLevel.Low, cheap.Cost.Level);

        var expensive = await _host.Client.ValidateCostAsync(new ValidateSqlRequest
        {
            Sql = "SELECT count(*) FROM issues a CROSS JOIN issues b CROSS JOIN pull_requests c WHERE a.client_id = 1 AND b.client_id = 1 AND c.client_id = 1",
        }, cancellationToken: Ct);
        Assert.False(expensive.Valid);
        Assert.Equal("cost", expensive.Stage);
        var finding = Assert.Single(expensive.Errors);
        Assert.Equal(Codes.TooExpensive, finding.Code);
        Assert.Contains("above the limit", finding.Message);
        Assert.Equal(CostLevel.OverLimit, expensive.Cost.Level);
        output.WriteLine(finding.Message);
    }

    [Fact]
    public async Task Plan_errors_carry_postgres_message_and_position_in_the_original_sql()
    {
        const string sql = "SELECT count(*) FROM issues i\nWHERE i.client_id = 1 AND i.key = 42";
        var report = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = sql }, cancellationToken: Ct);
        var finding = Assert.Single(report.Errors);
        Assert.Equal(Codes.PlanError, finding.Code);
        Assert.Contains("operator does not exist", finding.Message);
        Assert.Equal(sql.IndexOf("= 42", StringComparison.Ordinal) + 1, finding.Position);
        Assert.Equal(2, finding.Line);
    }

    [Fact]
    public async Task Estimates_are_remembered_per_tenant_and_sql_text_but_plan_errors_are_not()
    {
        const string sql = "SELECT i.key FROM issues i WHERE i.client_id = $1 AND i.created >= $2 ORDER BY i.created LIMIT 10";
        var first = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = sql }, cancellationToken: Ct);
        var second = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = sql }, cancellationToken: Ct);
        Assert.True(first.Valid && second.Valid, string.Join("; ", first.Errors.Concat(second.Errors)));
        Assert.False(first.Cost.Cached);
        Assert.True(second.Cost.Cached);
        Assert.Equal(first.Cost.Level, second.Cost.Level);

        // Another tenant's estimate is its own: planned afresh, then remembered for that tenant.
        var otherTenant = await _host.ClientFor(2).ValidateCostAsync(new ValidateSqlRequest { Sql = sql }, cancellationToken: Ct);
        Assert.False(otherTenant.Cost.Cached);
        Assert.True((await _host.ClientFor(2).ValidateCostAsync(new ValidateSqlRequest { Sql = sql }, cancellationToken: Ct)).Cost.Cached);

        // Another text is planned afresh; the planner's refusals are asked again every time.
        var other = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = sql.Replace("LIMIT 10", "LIMIT 11", StringComparison.Ordinal) }, cancellationToken: Ct);
        Assert.False(other.Cost.Cached);
        const string bad = "SELECT count(*) FROM issues i WHERE i.client_id = 1 AND i.key = 42";
        for (var i = 0; i < 2; i++)
        {
            var refused = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = bad }, cancellationToken: Ct);
            Assert.Equal(Codes.PlanError, Assert.Single(refused.Errors).Code);
            Assert.False(refused.Cost.Cached);
        }

        // With the cache off every call plans.
        await using var uncached = await ValidationHost.StartAsync(db.ReplicaConnectionString, new Dictionary<string, string?> { ["Validation:Cost:CacheSeconds"] = "0" });
        for (var i = 0; i < 2; i++)
        {
            var r = await uncached.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = sql }, cancellationToken: Ct);
            Assert.False(r.Cost.Cached);
        }
    }

    [Fact]
    public async Task Queries_that_differ_only_in_their_values_share_one_estimate_and_other_shapes_do_not()
    {
        // The agent's questions over another window: the same text with other dates. The cost check plans the
        // generic plan of the text with every literal a parameter, so the values cannot change the estimate.
        static string Window(string from, string to, int limit = 500) =>
            $"SELECT p.key AS project, count(*) AS issues_created\nFROM issues i\nJOIN projects p ON p.id = i.project_id\n" +
            $"WHERE i.client_id = 1 AND i.active AND i.created >= '{from} 00:00:00+00'::timestamptz AND i.created < '{to} 00:00:00+00'::timestamptz\n" +
            $"GROUP BY p.key\nORDER BY issues_created DESC NULLS LAST, project\nLIMIT {limit}";
        var first = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = Window("2026-01-07", "2026-02-01") }, cancellationToken: Ct);
        var otherWindow = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = Window("2024-03-01", "2026-03-01") }, cancellationToken: Ct);
        Assert.True(first.Valid && otherWindow.Valid, string.Join("; ", first.Errors.Concat(otherWindow.Errors)));
        Assert.False(first.Cost.Cached);
        Assert.True(otherWindow.Cost.Cached);

        // What is remembered is what a fresh EXPLAIN of the other window estimates.
        await using var uncached = await ValidationHost.StartAsync(db.ReplicaConnectionString, new Dictionary<string, string?> { ["Validation:Cost:CacheSeconds"] = "0" });
        var fresh = await uncached.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = Window("2024-03-01", "2026-03-01") }, cancellationToken: Ct);
        Assert.False(fresh.Cost.Cached);
        Assert.Equal(fresh.Cost.Level, otherWindow.Cost.Level);

        // A row cut is planned as written (not a parameter): another LIMIT is another estimate; so is another tenant.
        Assert.False((await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = Window("2026-01-07", "2026-02-01", limit: 10) }, cancellationToken: Ct)).Cost.Cached);
        Assert.False((await _host.ClientFor(2).ValidateCostAsync(new ValidateSqlRequest { Sql = Window("2026-01-07", "2026-02-01") }, cancellationToken: Ct)).Cost.Cached);
    }

    [Fact]
    public async Task Parameterised_queries_are_planned_generically()
    {
        var report = await _host.Client.ValidateCostAsync(new ValidateSqlRequest
        {
            Sql = "SELECT i.key FROM issues i WHERE i.client_id = $1 AND i.created >= $2 LIMIT 10",
        }, cancellationToken: Ct);
        Assert.True(report.Valid, string.Join("; ", report.Errors));
        Assert.NotEqual(CostLevel.Unspecified, report.Cost.Level);
        // The prepared statement is gone: the same query can be costed again on any pooled connection.
        var again = await _host.Client.ValidateCostAsync(new ValidateSqlRequest { Sql = "SELECT i.key FROM issues i WHERE i.client_id = $1 LIMIT 10" }, cancellationToken: Ct);
        Assert.True(again.Valid);
    }

    [Fact]
    public async Task Validate_stops_at_the_first_failing_stage()
    {
        var syntax = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = "SELEC 1", SkipSemantic = true }, cancellationToken: Ct);
        Assert.Equal("syntax", syntax.Stage);
        Assert.Null(syntax.Cost);
        var stat = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = "SELECT count(*) FROM isues", SkipSemantic = true }, cancellationToken: Ct);
        Assert.Equal("static", stat.Stage);
        Assert.Null(stat.Cost);
        var semantic = await _host.Client.ValidateAsync(new ValidateSqlRequest
        {
            Sql = "SELECT count(*) FROM issues WHERE client_id = 1",
            Question = "What is the average story points per team?",
            Intent = new Intent { Aggregate = "avg", GroupBy = { "team" } },
        }, cancellationToken: Ct);
        Assert.Equal("semantic", semantic.Stage);
        Assert.NotNull(semantic.Cost);
        Assert.True(semantic.Judge.Available);
        Assert.Equal(Codes.SemanticMismatch, Assert.Single(semantic.Errors).Code);
    }

    [Fact]
    public async Task A_top_n_that_cuts_through_a_tie_fails_and_one_that_keeps_the_ties_passes()
    {
        // least(count(*), 1) gives every repository with a merged PR the same first ordering key: a top 3 of them is a tie
        // that LIMIT 3 settles by name, not by anything the question asks.
        const string question = "Which 3 repositories have the most merged PRs?";
        const string body = "SELECT r.name AS repository, count(*) AS merged FROM pull_requests pr JOIN repositories r ON r.id = pr.repository_id "
                            + "WHERE pr.active AND pr.status = 'merged' GROUP BY r.name ORDER BY least(count(*), 1) DESC";
        var cut = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = body + ", r.name LIMIT 3", Question = question }, cancellationToken: Ct);
        output.WriteLine(string.Join(" | ", cut.Errors.Select(e => $"{e.Code}: {e.Message}")));
        Assert.False(cut.Valid);
        var tie = Assert.Single(cut.Errors);
        Assert.Equal(Codes.TieAtLimit, tie.Code);
        Assert.Contains("FETCH FIRST 3 ROWS WITH TIES", tie.Message, StringComparison.Ordinal);

        var kept = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = body + " FETCH FIRST 3 ROWS WITH TIES", Question = question }, cancellationToken: Ct);
        Assert.True(kept.Valid, string.Join(" | ", kept.Errors.Select(e => $"{e.Code}: {e.Message}")));
    }

    [Fact]
    public async Task A_deferred_tie_probe_is_left_to_the_result_and_the_same_sql_validated_without_deferring_fails_on_the_tie()
    {
        // The agent's way (docs/validation.md, "Ties at a top-N boundary"): Validate with defer_tie_probe passes the cut and says at
        // how many rows the probe is needed; the caller that gets all n rows validates again without the flag — and the tie fails.
        const string question = "Which 3 repositories have the most merged PRs?";
        const string body = "SELECT r.name AS repository, count(*) AS merged FROM pull_requests pr JOIN repositories r ON r.id = pr.repository_id "
                            + "WHERE pr.active AND pr.status = 'merged' GROUP BY r.name ORDER BY least(count(*), 1) DESC";
        var deferred = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = body + ", r.name LIMIT 3", Question = question, DeferTieProbe = true }, cancellationToken: Ct);
        Assert.True(deferred.Valid, string.Join(" | ", deferred.Errors.Select(e => $"{e.Code}: {e.Message}")));
        Assert.Equal(3, deferred.TieCheckRows);
        Assert.DoesNotContain(deferred.Warnings, w => w.Code == Codes.TieUnchecked);

        var again = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = body + ", r.name LIMIT 3", Question = question }, cancellationToken: Ct);
        Assert.Equal(Codes.TieAtLimit, Assert.Single(again.Errors).Code);
        Assert.Equal(0, again.TieCheckRows);

        // Nothing is left to the result when the SQL keeps its ties, or when the caller did not ask to defer.
        var kept = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = body + " FETCH FIRST 3 ROWS WITH TIES", Question = question, DeferTieProbe = true }, cancellationToken: Ct);
        Assert.True(kept.Valid);
        Assert.Equal(0, kept.TieCheckRows);
    }

    [Fact]
    public async Task Many_parallel_validations_over_grpc_agree_with_sequential_ones()
    {
        var cases = CorpusFile.Load().Where(c => !c.NeedsReplica).Take(60).ToList();
        var expected = new Dictionary<string, string>();
        foreach (var c in cases)
        {
            var r = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = c.Sql }, cancellationToken: Ct);
            expected[c.Id] = Summary(r);
        }
        var mismatches = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 1200), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = Ct }, async (i, ct) =>
        {
            var c = cases[i % cases.Count];
            var r = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = c.Sql }, cancellationToken: ct);
            if (Summary(r) != expected[c.Id])
            {
                Interlocked.Increment(ref mismatches);
            }
        });
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public async Task Bad_input_is_InvalidArgument_and_the_service_keeps_serving()
    {
        async Task<StatusCode> Code(string sql)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = sql }, cancellationToken: Ct).ResponseAsync);
            output.WriteLine($"{e.StatusCode}: {e.Status.Detail}");
            return e.StatusCode;
        }
        Assert.Equal(StatusCode.InvalidArgument, await Code(""));
        Assert.Equal(StatusCode.InvalidArgument, await Code("   \n "));
        Assert.Equal(StatusCode.InvalidArgument, await Code("SELECT 1 " + new string('x', 1024 * 1024)));
        Assert.Equal(StatusCode.InvalidArgument, await Code("SELECT 1\0; DROP TABLE issues"));

        // Invalid UTF-8 on the wire: hand-made protobuf bytes for ValidateSqlRequest { sql = 0xC3 0x28 … }.
        var sqlBytes = new byte[] { (byte)'S', (byte)'E', (byte)'L', (byte)'E', (byte)'C', (byte)'T', (byte)' ', 0xC3, 0x28, 0xFF };
        var raw = new byte[] { 0x0A, (byte)sqlBytes.Length }.Concat(sqlBytes).ToArray();
        var method = new Method<byte[], ValidationReport>(MethodType.Unary, "strategicagent.validation.v1.ValidationService", "Validate",
            Marshallers.Create(b => b, b => b), Marshallers.Create<ValidationReport>(r => Google.Protobuf.MessageExtensions.ToByteArray(r), ValidationReport.Parser.ParseFrom));
        var utf8 = await Assert.ThrowsAsync<RpcException>(() => _host.Channel.As(ValidationHost.TestTenant).AsyncUnaryCall(method, null, new CallOptions(cancellationToken: Ct), raw).ResponseAsync);
        output.WriteLine($"invalid UTF-8: {utf8.StatusCode} {utf8.Status.Detail} {utf8.Status.DebugException}");
        Assert.Equal(StatusCode.InvalidArgument, utf8.StatusCode);

        // Deep nesting: a syntax-stage finding, not a crash.
        var deep = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = "SELECT " + new string('(', 50_000) + "1" + new string(')', 50_000), SkipSemantic = true }, cancellationToken: Ct);
        Assert.Equal("syntax", deep.Stage);
        var plus = await _host.Client.ValidateAsync(new ValidateSqlRequest { Sql = "SELECT 1" + string.Concat(Enumerable.Repeat(" + 1", 60_000)), SkipSemantic = true }, cancellationToken: Ct);
        Assert.Equal("syntax", plus.Stage);
        Assert.Equal(Codes.NestingTooDeep, plus.Errors[0].Code);

        var ok = await _host.Client.ValidateStaticAsync(new ValidateSqlRequest { Sql = "SELECT count(*) FROM issues WHERE client_id = 1" }, cancellationToken: Ct);
        Assert.True(ok.Valid);
    }

    [Fact]
    public async Task Result_rows_are_validated_per_row_and_field()
    {
        var request = new ValidateResultsRequest { Shape = "team_analysis", Columns = { "team", "issues", "avg_lead_time_days" } };
        request.RowsJson.Add("[\"Payments\", 12, 3.5]");
        request.RowsJson.Add("[\"\", -1, 2]");
        request.RowsJson.Add("[\"Core\", 4]");
        var report = await _host.Client.ValidateResultsAsync(request, cancellationToken: Ct);
        Assert.False(report.Valid);
        Assert.Equal(3, report.RowsChecked);
        Assert.Contains(report.Errors, e => e.Row == 1 && e.Field == "team");
        Assert.Contains(report.Errors, e => e.Row == 1 && e.Field == "issues");
        Assert.Contains(report.Errors, e => e.Row == 2 && e.Field == "row");
        Assert.DoesNotContain(report.Errors, e => e.Row == 0);
    }

    [Fact]
    public async Task Health_and_reflection_are_served()
    {
        var health = new global::Grpc.Health.V1.Health.HealthClient(_host.Channel);
        var reply = await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct);
        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    private static string Summary(ValidationReport r) =>
        $"{r.Valid}|{r.Stage}|{r.Fingerprint}|{string.Join(",", r.Errors.Select(e => e.Code + e.Position))}|{string.Join(",", r.Warnings.Select(e => e.Code + e.Position))}|{string.Join(",", r.Columns)}";
}

/// <summary>When the replica is down the service says Unavailable, never "valid".</summary>
public sealed class UnavailableReplicaTests
{
    [Fact]
    public async Task Dead_replica_gives_Unavailable()
    {
        var port = StrategicAgent.LocalServers.NativeProcess.FreePort();
        await using var host = await ValidationHost.StartAsync($"Host=127.0.0.1;Port={port};Username=postgres;Password=x;Database=strategicagent;Timeout=2");
        var e = await Assert.ThrowsAsync<RpcException>(() => host.Client.ValidateAsync(
            new ValidateSqlRequest { Sql = "SELECT count(*) FROM issues WHERE client_id = 1", SkipSemantic = true },
            cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        // Even the syntax check, which needs no replica, is refused: the caller's tenant cannot be
        // checked (never seen before this outage), and the message says so.
        var syntax = await Assert.ThrowsAsync<RpcException>(() => host.Client.ValidateSyntaxAsync(
            new ValidateSqlRequest { Sql = "SELECT 1" }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, syntax.StatusCode);
        Assert.Contains("tenant", syntax.Status.Detail, StringComparison.Ordinal);
    }
}
