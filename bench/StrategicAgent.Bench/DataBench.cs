using System.Diagnostics;
using System.Globalization;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Data.DemoData;
using StrategicAgent.LocalServers;

namespace StrategicAgent.Bench;

/// <summary>
/// <c>bench data</c>: generates and loads a demo data set (default: large) into a primary that a
/// logical replica subscribes to, sampling the replication lag while it loads, and prints wall
/// time, rows/s and lag percentiles. Starts its own primary + replica (temporary directories,
/// free ports) unless <c>--primary</c>/<c>--replica</c> connection strings are given.
/// </summary>
public static class DataBench
{
    private const string Usage = """
        bench data [--size small|medium|large] [--seed N] [--reference-date yyyy-MM-dd]
                   [--atomic true|false] [--primary <connection string> --replica <connection string>] [--sample-ms 250]
          --atomic true (default): one transaction; false: a commit per COPY (per table / per project).
          Without --primary/--replica: starts a PostgreSQL primary and a logical replica of it
          (schema migrated, subscription created) in a temporary directory and removes them after.
          With them: the primary must hold the migrated, empty platform schema and the replica must
          subscribe to it (as the migrator sets up).
        """;

    private sealed record Sample(double T, long CurrentLsn, long FlushLsn);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (BenchArgs.Parse("bench data", Usage, args, out var o) is { } exit)
        {
            return exit;
        }
        DemoDataOptions options;
        int sampleMs;
        try
        {
            options = new DemoDataOptions
            {
                Size = DemoDataOptions.ParseSize(o.GetValueOrDefault("size", "large")),
                Seed = int.Parse(o.GetValueOrDefault("seed", "42"), CultureInfo.InvariantCulture),
                ReferenceDate = o.TryGetValue("reference-date", out var d)
                    ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture)
                    : DateOnly.FromDateTime(DateTime.UtcNow),
                Atomic = bool.Parse(o.GetValueOrDefault("atomic", "true")),
            };
            sampleMs = int.Parse(o.GetValueOrDefault("sample-ms", "250"), CultureInfo.InvariantCulture);
            if (o.ContainsKey("primary") != o.ContainsKey("replica"))
            {
                throw new ArgumentException("give both --primary and --replica, or neither");
            }
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            Console.Error.WriteLine($"bench data: {ex.Message}\n{Usage}");
            return 64;
        }

        if (o.TryGetValue("primary", out var p))
        {
            return await MeasureAsync(p, o["replica"], options, sampleMs, null, null, ct);
        }
        await using var data = await SelfHostedData.StartAsync("data", ct);
        Console.WriteLine($"started primary :{data.PrimaryServer.Options.Port} and replica :{data.ReplicaServer.Options.Port} in {data.StartTime.TotalSeconds:0.0} s");
        return await MeasureAsync(data.Primary, data.Replica, options, sampleMs,
            data.PrimaryServer.Options.DataDirectory, data.ReplicaServer.Options.DataDirectory, ct);
    }

    private static async Task<int> MeasureAsync(string primary, string replica, DemoDataOptions options, int sampleMs,
        string? primaryDir, string? replicaDir, CancellationToken ct)
    {
        if (!await DemoDataGenerator.IsEmptyAsync(primary, ct))
        {
            Console.Error.WriteLine("bench data: the primary already holds platform data; give an empty, migrated database.");
            return 65;
        }
        Console.WriteLine($"loading {options.Size} (seed {options.Seed}, reference date {options.ReferenceDate:yyyy-MM-dd}, atomic {options.Atomic}) on {Environment.ProcessorCount} cores …");

        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clock = Stopwatch.StartNew();
        var samples = new List<Sample>();
        var byteLags = new List<long>();
        var sampler = Task.Run(async () =>
        {
            await using var conn = new NpgsqlConnection(primary);
            await conn.OpenAsync(sampling.Token);
            while (!sampling.IsCancellationRequested)
            {
                try
                {
                    if (await LogicalReplication.LagAsync(conn, sampling.Token) is { } lag)
                    {
                        byteLags.Add(lag.Bytes);
                    }
                    await using var cmd = new NpgsqlCommand(
                        """
                        SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
                               coalesce((SELECT pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint FROM pg_replication_slots WHERE slot_name = $1), 0)
                        """, conn) { Parameters = { new() { Value = LogicalReplication.SubscriptionName } } };
                    await using var r = await cmd.ExecuteReaderAsync(sampling.Token);
                    await r.ReadAsync(sampling.Token);
                    samples.Add(new Sample(clock.Elapsed.TotalSeconds, r.GetInt64(0), r.GetInt64(1)));
                    await r.DisposeAsync();
                    await Task.Delay(sampleMs, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }, CancellationToken.None);

        var progress = new Progress<string>(m => Console.WriteLine($"  [{clock.Elapsed.TotalSeconds,7:0.0} s] {m}"));
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var primaryCpu0 = ServerCpuSeconds(primaryDir);
        var replicaCpu0 = ServerCpuSeconds(replicaDir);
        var summary = await DemoDataGenerator.LoadAsync(primary, options, progress, ct);
        var generatorCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        var loadedAt = clock.Elapsed.TotalSeconds;
        await LogicalReplication.WaitForCatchUpAsync(primary, TimeSpan.FromMinutes(30), ct);
        var caughtUpAt = clock.Elapsed.TotalSeconds;
        var primaryCpu = ServerCpuSeconds(primaryDir) - primaryCpu0;
        var replicaCpu = ServerCpuSeconds(replicaDir) - replicaCpu0;
        await Task.Delay(sampleMs * 2, ct);
        await sampling.CancelAsync();
        await sampler;

        // Time lag of each sample: how long until the replica had confirmed what the primary had written then.
        var timeLags = new List<double>();
        for (var i = 0; i < samples.Count; i++)
        {
            for (var j = i; j < samples.Count; j++)
            {
                if (samples[j].FlushLsn >= samples[i].CurrentLsn)
                {
                    timeLags.Add(samples[j].T - samples[i].T);
                    break;
                }
            }
        }
        await using (var rc = new NpgsqlConnection(replica))
        {
            await rc.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM pull_requests)", rc);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            Console.WriteLine($"replica holds {r.GetInt64(0)} issues and {r.GetInt64(1)} pull requests");
        }
        // On-disk size after the load (tables + indexes + TOAST; the capacity model in docs/deploy.md uses it).
        foreach (var (name, cs) in new[] { ("primary", primary), ("replica", replica) })
        {
            await using var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand(
                """
                SELECT pg_database_size(current_database()),
                       coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE n.nspname = 'public'), 0)::bigint
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm')
                """, conn);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            Console.WriteLine($"{name} database size {r.GetInt64(0) / 1048576.0:N0} MiB (platform tables with indexes and TOAST: {r.GetInt64(1) / 1048576.0:N0} MiB)");
        }

        Console.WriteLine();
        Console.WriteLine($"| table | rows |");
        Console.WriteLine($"|---|---:|");
        foreach (var (table, rows) in summary.Rows)
        {
            Console.WriteLine($"| {table} | {rows:N0} |");
        }
        Console.WriteLine();
        Console.WriteLine($"generate + COPY + commit + ANALYZE: {summary.Elapsed.TotalSeconds:0.0} s, {summary.TotalRows:N0} rows, {summary.RowsPerSecond:N0} rows/s " +
                          $"({summary.Rows["issues"] / summary.Elapsed.TotalSeconds:N0} issues/s)");
        Console.WriteLine($"CPU of the generating process (generation + COPY encoding, incl. the lag sampler): {generatorCpu.TotalSeconds:0.0} s; " +
                          $"load average now {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores");
        if (primaryDir is not null)
        {
            Console.WriteLine($"CPU of the servers from load start to caught up: primary {primaryCpu:0.0} s (backend + WAL sender's decoding), replica {replicaCpu:0.0} s (apply)");
        }
        Console.WriteLine($"replica caught up {caughtUpAt - loadedAt:0.0} s after the load returned ({caughtUpAt:0.0} s from start)");
        Console.WriteLine($"replication lag over {samples.Count} samples every {sampleMs} ms: " +
                          $"time p50 {Percentile(timeLags, 0.5):0.00} s, p99 {Percentile(timeLags, 0.99):0.00} s, max {(timeLags.Count > 0 ? timeLags.Max() : 0):0.00} s; " +
                          $"bytes p50 {Percentile(byteLags.Select(b => (double)b).ToList(), 0.5) / 1048576:0.0} MiB, p99 {Percentile(byteLags.Select(b => (double)b).ToList(), 0.99) / 1048576:0.0} MiB");
        return 0;
    }

    /// <summary>
    /// CPU seconds used by a local server so far: the postmaster (with its exited, waited-for
    /// children) plus its live children, from /proc. Null-safe: 0 when the server is not ours.
    /// </summary>
    private static double ServerCpuSeconds(string? dataDirectory)
    {
        if (dataDirectory is null || !File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            return 0;
        }
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First().Trim(), CultureInfo.InvariantCulture);
        const double ticks = 100.0; // USER_HZ on Linux
        double total = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || ProcStat.TryRead(pid) is not { } stat)
            {
                continue; // not a process, or exited meanwhile
            }
            // utime(14) stime(15), and for the postmaster cutime(16) cstime(17): its exited, waited-for children.
            if (pid == postmaster)
            {
                total += (stat.Field(14) + stat.Field(15) + stat.Field(16) + stat.Field(17)) / ticks;
            }
            else if (stat.ParentPid == postmaster)
            {
                total += (stat.Field(14) + stat.Field(15)) / ticks;
            }
        }
        return total;
    }

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return 0;
        }
        var sorted = values.Order().ToList();
        var rank = q * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
