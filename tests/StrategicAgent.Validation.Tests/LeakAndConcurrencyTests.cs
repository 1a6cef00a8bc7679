using System.Diagnostics;
using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Parsing;
using StrategicAgent.Validation.Tests.Corpus;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>Runs alone (no parallel tests in the process), so RSS measures this test only.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}

/// <summary>The native parser under load: no leak over 100k parses, identical answers from many threads.</summary>
[Collection(SerialCollection.Name)]
public sealed class LeakAndConcurrencyTests(ITestOutputHelper output)
{
    [Fact]
    public void Memory_stays_flat_over_100k_parses_including_errors()
    {
        string[] queries =
        [
            "SELECT t.name, count(*) FROM issues i JOIN users u ON u.id = i.assignee_id JOIN teams t ON t.id = u.team_id WHERE i.client_id = 1 GROUP BY t.name",
            "SELECT key FROM issues WHERE client_id = 1 AND LIMIT 1",        // syntax error: the error struct is freed too
            "SELECT 1; SELECT 2",
            "WITH x AS (SELECT id FROM issues WHERE client_id = 1) SELECT count(*) FROM x",
        ];
        void Run(int n)
        {
            for (var i = 0; i < n; i++)
            {
                var q = queries[i % queries.Length];
                using (PgParser.Parse(q))
                {
                }
                if (i % 4 == 0)
                {
                    PgParser.Fingerprint(q);
                    PgParser.Normalize(q);
                    PgParser.Split(q, out _);
                }
            }
        }

        Run(20_000); // warm up: JIT, pools, libpg_query's per-thread memory context
        var before = Rss();
        var sw = Stopwatch.StartNew();
        for (var chunk = 0; chunk < 4; chunk++)
        {
            Run(25_000);
            output.WriteLine($"after {(chunk + 1) * 25}k: RSS {Rss() / 1048576.0:0.0} MB, managed {GC.GetTotalMemory(false) / 1048576.0:0.0} MB");
        }
        var after = Rss();
        output.WriteLine($"100k parses in {sw.Elapsed.TotalSeconds:0.0} s; RSS {before / 1048576.0:0.0} MB -> {after / 1048576.0:0.0} MB");
        // A leak of even one parse tree per call (≥ 2 KB) would add ≥ 200 MB; one error struct ≥ 10 MB.
        Assert.True(after - before < 16L * 1024 * 1024, $"RSS grew by {(after - before) / 1048576.0:0.0} MB");
    }

    [Fact]
    public async Task Parallel_validations_give_the_same_answers_as_sequential_ones()
    {
        var validator = TestCatalog.Validator();
        var cases = CorpusFile.Load();
        var expected = cases.ToDictionary(c => c.Id, c => Summary(validator.CheckSql(c.Sql, TestCatalog.Schema, normalize: true)));
        var mismatches = 0;
        var threads = Enumerable.Range(0, 8).Select(t => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 1500; i++)
            {
                var c = cases[(i * 7 + t) % cases.Count];
                if (Summary(validator.CheckSql(c.Sql, TestCatalog.Schema, normalize: true)) != expected[c.Id])
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(threads);
        Assert.Equal(0, mismatches);
    }

    private static string Summary(ValidationReport r) =>
        $"{r.Valid}|{r.Stage}|{r.Fingerprint}|{r.Normalized}|{string.Join(",", r.Errors.Select(e => e.Code + e.Position))}|{string.Join(",", r.Warnings.Select(e => e.Code + e.Position))}|{string.Join(",", r.Columns)}";

    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS");
    }
}
