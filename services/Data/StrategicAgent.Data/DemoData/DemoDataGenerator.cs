using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using StrategicAgent.Seeded;

namespace StrategicAgent.Data.DemoData;

/// <summary>
/// Generates the deterministic demo data set and bulk-loads it into an empty, migrated platform
/// schema with binary COPY, in one transaction (a load either happens completely or not at all).
/// Small tables are built in memory; the big ones are planned and streamed one project at a time.
/// See docs/demo-data.md for what is in it.
/// </summary>
public static class DemoDataGenerator
{
    /// <summary>The tables the generator fills, in load (foreign-key) order.</summary>
    public static IReadOnlyList<string> Tables { get; } =
    [
        "clients", "teams", "users", "projects", "issuetypes", "status_mappings", "statuses", "repositories",
        "issues", "pull_requests", "deployments", "incidents",
    ];

    /// <summary>True when none of the platform tables has a row.</summary>
    public static async Task<bool> IsEmptyAsync(string primaryConnectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(primaryConnectionString);
        await conn.OpenAsync(ct);
        await EnsureSchemaAsync(conn, ct);
        return !await AnyRowsAsync(conn, null, ct);
    }

    public static async Task<DemoDataSummary> LoadAsync(string primaryConnectionString, DemoDataOptions options,
        IProgress<string>? progress, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(primaryConnectionString);
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Size))
        {
            throw new ArgumentException($"Unknown demo-data size {(int)options.Size}; use Small, Medium or Large.", nameof(options));
        }
        var sw = Stopwatch.StartNew();
        await using var conn = new NpgsqlConnection(primaryConnectionString);
        await conn.OpenAsync(ct);
        await EnsureSchemaAsync(conn, ct);

        // One loader at a time per database: a second one waits here, then finds the data and stops.
        await ExecAsync(conn, null, $"SELECT pg_advisory_lock({LoadLockKey})", ct);
        try
        {
            if (await AnyRowsAsync(conn, null, ct))
            {
                throw new InvalidOperationException(
                    "The platform tables already hold data: the demo-data generator only loads into an empty schema. " +
                    "Use a fresh database (or TRUNCATE " + string.Join(", ", Tables) + " CASCADE) and load again.");
            }
            // Foreign keys: every id is assigned by the generator and the data tests check every
            // reference, so a superuser load skips the per-row FK triggers (as logical replication's
            // apply does on the replica). Without superuser rights the checks simply run.
            var superuser = await SuperuserAsync(conn, ct);
            if (superuser)
            {
                await ExecAsync(conn, null, "SET session_replication_role = replica", ct);
            }
            var tx = options.Atomic ? await conn.BeginTransactionAsync(ct) : null;
            Dictionary<string, long> rows;
            try
            {
                rows = await WriteAllAsync(conn, options, progress, sw, ct);
                if (tx is not null)
                {
                    progress?.Report($"committing ({sw.Elapsed.TotalSeconds:0.0} s) …");
                    await tx.CommitAsync(ct);
                }
            }
            catch when (tx is null)
            {
                // Committed piece by piece: take the pieces out again so the next start sees an empty schema.
                await RemovePartialLoadAsync(primaryConnectionString);
                throw;
            }
            finally
            {
                if (tx is not null)
                {
                    await tx.DisposeAsync();
                }
            }
            if (superuser)
            {
                await ExecAsync(conn, null, "RESET session_replication_role", ct);
            }
            progress?.Report($"analyzing ({sw.Elapsed.TotalSeconds:0.0} s) …");
            await AnalyzeAsync(conn, ct);
            sw.Stop();
            var summary = new DemoDataSummary { Options = options, Rows = rows, Elapsed = sw.Elapsed };
            progress?.Report($"loaded {summary.TotalRows} rows in {summary.Elapsed.TotalSeconds:0.0} s ({summary.RowsPerSecond:0} rows/s)");
            return summary;
        }
        finally
        {
            if (conn.State == System.Data.ConnectionState.Open)
            {
                await ExecAsync(conn, null, $"SELECT pg_advisory_unlock({LoadLockKey})", CancellationToken.None);
            }
        }
    }

    /// <summary>Advisory-lock key that serialises loaders ("SA demo" in ASCII).</summary>
    private const long LoadLockKey = 0x53_41_20_64_65_6D_6F;

    private static async Task RemovePartialLoadAsync(string connectionString)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(timeout.Token);
        await ExecAsync(conn, null, "TRUNCATE " + string.Join(", ", Tables) + " CASCADE", timeout.Token);
    }

    private static async Task<Dictionary<string, long>> WriteAllAsync(NpgsqlConnection conn, DemoDataOptions options,
        IProgress<string>? progress, Stopwatch sw, CancellationToken ct)
    {
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        var dims = DemoDimensions.Build(options);
        progress?.Report($"Loading {options.Size} demo data (seed {options.Seed}, as of {options.ReferenceDate:yyyy-MM-dd}, " +
                         (options.Atomic ? "one transaction" : "a commit per COPY") + ") …");

        rows["clients"] = await CopyAsync(conn, "clients (id, name, active)", dims.Clients, async (w, r) =>
        {
            await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Name, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.Active, NpgsqlDbType.Boolean, ct);
        }, ct);
        rows["teams"] = await CopyAsync(conn, "teams (id, client_id, name, active)", dims.Teams, async (w, r) =>
        {
            await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.ClientId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Name, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.Active, NpgsqlDbType.Boolean, ct);
        }, ct);
        rows["users"] = await CopyAsync(conn, "users (id, client_id, team_id, name, email, active)", dims.Users, async (w, r) =>
        {
            await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.ClientId, NpgsqlDbType.Bigint, ct);
            await WriteAsync(w, r.TeamId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Name, NpgsqlDbType.Text, ct);
            await WriteAsync(w, r.Email, ct);
            await w.WriteAsync(r.Active, NpgsqlDbType.Boolean, ct);
        }, ct);
        rows["projects"] = await CopyAsync(conn, "projects (id, client_id, key, name, team_id, active)", dims.Projects, async (w, r) =>
        {
            await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.ClientId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Key, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.Name, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.TeamId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Active, NpgsqlDbType.Boolean, ct);
        }, ct);
        rows["issuetypes"] = await CopyAsync(conn, "issuetypes (id, client_id, original_name, active)", dims.IssueTypes, async (w, r) =>
        {
            await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.ClientId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Name, NpgsqlDbType.Text, ct);
            await w.WriteAsync(true, NpgsqlDbType.Boolean, ct);
        }, ct);
        rows["status_mappings"] = await CopyAsync(conn, "status_mappings (id, client_id, status_from, status_to, active)", dims.Mappings, async (w, r) =>
        {
            await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.ClientId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.From, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.To, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.Active, NpgsqlDbType.Boolean, ct);
        }, ct);
        rows["statuses"] = await CopyAsync(conn, "statuses (id, client_id, original_name, status_mapping_id, active)", dims.Statuses, async (w, r) =>
        {
            await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.ClientId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Name, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.MappingId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Active, NpgsqlDbType.Boolean, ct);
        }, ct);
        rows["repositories"] = await CopyAsync(conn, "repositories (id, client_id, name, full_name, team_id, active)", dims.Repos, async (w, r) =>
        {
            await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.ClientId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Name, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.FullName, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.TeamId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.Active, NpgsqlDbType.Boolean, ct);
        }, ct);
        progress?.Report($"dimensions: {rows.Values.Sum()} rows ({sw.Elapsed.TotalSeconds:0.0} s)");

        // Issues, one COPY per project (bounded foreign-key check queue per statement).
        long issueId = 0, issueRows = 0;
        foreach (var chunk in dims.Chunks)
        {
            var issues = ProjectPlanner.PlanIssues(chunk, issueId);
            issueId += issues.Count;
            issueRows += await CopyAsync(conn, IssueColumns, issues, (w, r) => WriteIssueAsync(w, chunk, r, ct), ct);
            progress?.Report($"issues: {issueRows} rows ({chunk.Tenant.Name} {chunk.Project.Key}, {sw.Elapsed.TotalSeconds:0.0} s)");
        }
        rows["issues"] = issueRows;

        // Pull requests: the same plans again (pure), then deployments and incidents from the PRs.
        issueId = 0;
        long prId = 0, prRows = 0;
        var deployments = new List<(ProjectChunk Chunk, PlannedDeployment Row)>();
        var incidents = new List<PlannedIncident>();
        foreach (var chunk in dims.Chunks)
        {
            var issues = ProjectPlanner.PlanIssues(chunk, issueId);
            issueId += issues.Count;
            var prs = ProjectPlanner.PlanPullRequests(chunk, issues, prId);
            prId += prs.Count;
            prRows += await CopyAsync(conn, PullRequestColumns, prs, (w, r) => WritePullRequestAsync(w, chunk, r, ct), ct);
            var (d, i) = ProjectPlanner.PlanDeployments(chunk, prs);
            deployments.AddRange(d.Select(x => (chunk, x)));
            incidents.AddRange(i);
            progress?.Report($"pull_requests: {prRows} rows ({chunk.Tenant.Name} {chunk.Project.Key}, {sw.Elapsed.TotalSeconds:0.0} s)");
        }
        rows["pull_requests"] = prRows;
        for (var k = 0; k < deployments.Count; k++)
        {
            deployments[k].Row.Id = k + 1;
        }
        for (var k = 0; k < incidents.Count; k++)
        {
            incidents[k].Id = k + 1;
        }
        rows["deployments"] = await CopyAsync(conn, "deployments (id, client_id, repository_id, environment, status, deployed_at, lead_time_seconds)",
            deployments, async (w, x) =>
            {
                var r = x.Row;
                await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(x.Chunk.Tenant.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(r.Repo.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(r.Environment, NpgsqlDbType.Text, ct);
                await w.WriteAsync(r.Status, NpgsqlDbType.Text, ct);
                await w.WriteAsync(Ts(r.DeployedAt), NpgsqlDbType.TimestampTz, ct);
                await WriteAsync(w, r.LeadTimeSeconds, NpgsqlDbType.Bigint, ct);
            }, ct);
        rows["incidents"] = await CopyAsync(conn, "incidents (id, client_id, deployment_id, created_at, resolved_at, severity)",
            incidents, async (w, r) =>
            {
                await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(r.ClientId, NpgsqlDbType.Bigint, ct);
                await WriteAsync(w, r.Deployment?.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(Ts(r.Created), NpgsqlDbType.TimestampTz, ct);
                await WriteAsync(w, Ts(r.Resolved), NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(r.Severity, NpgsqlDbType.Text, ct);
            }, ct);

        return rows;
    }

    /// <summary>ANALYZE the generated tables (e.g. on the replica after it caught up).</summary>
    public static async Task AnalyzeAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await AnalyzeAsync(conn, ct);
    }

    /// <summary>
    /// md5 per generated table over its rows in id order (rendered as text in UTC): equal
    /// checksums mean equal data. Works for large too (hashes of row hashes).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> ChecksumsAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await ExecAsync(conn, tx, "SET LOCAL TIME ZONE 'UTC'", ct);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in Tables)
        {
            await using var cmd = new NpgsqlCommand(
                $"SELECT count(*)::text || ':' || coalesce(md5(string_agg(md5(t::text), '' ORDER BY t.id)), '') FROM {table} t", conn, tx);
            result[table] = (string)(await cmd.ExecuteScalarAsync(ct))!;
        }
        await tx.CommitAsync(ct);
        return result;
    }

    private const string IssueColumns =
        "issues (id, client_id, project_id, key, summary, description, issuetype_id, status_id, priority, assignee_id, " +
        "reporter_id, parent_id, story_points, comment_count, created, updated, work_first_started_at, work_last_completed_at, " +
        "total_lead_time_seconds, custom_field_01, custom_field_02, custom_field_03, custom_field_04, custom_field_05, active)";

    private static readonly string[] Components = ["backend", "frontend", "mobile", "infra", "data"];

    private static async Task WriteIssueAsync(NpgsqlBinaryImporter w, ProjectChunk c, PlannedIssue r, CancellationToken ct)
    {
        var text = DemoText.Stream(c, r);
        await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
        await w.WriteAsync(c.Tenant.Id, NpgsqlDbType.Bigint, ct);
        await w.WriteAsync(c.Project.Id, NpgsqlDbType.Bigint, ct);
        await w.WriteAsync(c.Project.Key + "-" + r.Number.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, ct);
        await w.WriteAsync(DemoText.Summary(c, r, text), NpgsqlDbType.Text, ct);
        await WriteAsync(w, DemoText.Description(c, r, text), ct);
        await w.WriteAsync(c.TypeIds[(int)r.Kind], NpgsqlDbType.Bigint, ct);
        await w.WriteAsync(c.StatusIds[r.Status], NpgsqlDbType.Bigint, ct);
        await WriteAsync(w, r.Priority, ct);
        await WriteAsync(w, r.Assignee?.Id, NpgsqlDbType.Bigint, ct);
        await WriteAsync(w, r.Reporter?.Id, NpgsqlDbType.Bigint, ct);
        await WriteAsync(w, r.Parent?.Id, NpgsqlDbType.Bigint, ct);
        await WriteAsync(w, r.StoryPoints, NpgsqlDbType.Numeric, ct);
        await w.WriteAsync(r.CommentCount, NpgsqlDbType.Integer, ct);
        await w.WriteAsync(Ts(r.Created), NpgsqlDbType.TimestampTz, ct);
        await w.WriteAsync(Ts(r.Updated), NpgsqlDbType.TimestampTz, ct);
        await WriteAsync(w, Ts(r.Started), NpgsqlDbType.TimestampTz, ct);
        await WriteAsync(w, Ts(r.Completed), NpgsqlDbType.TimestampTz, ct);
        long? lead = r is { Started: { } s, Completed: { } d } ? (long)(Ts(d) - Ts(s)).TotalSeconds : null;
        await WriteAsync(w, lead, NpgsqlDbType.Bigint, ct);
        // Custom fields: component, sprint, label, fix version, and an import marker on a few rows.
        await WriteAsync(w, text.Chance(0.85) ? Components[(int)(c.Team.Id % Components.Length + (text.Chance(0.2) ? 1 : 0)) % Components.Length] : null, ct);
        await WriteAsync(w, r.Started is { } st && r.Kind != IssueKind.Epic
            ? "Sprint " + (1 + (int)((st - c.WindowStart).TotalDays / 14)).ToString(CultureInfo.InvariantCulture) : null, ct);
        var label = text.NextDouble();
        await WriteAsync(w, label < 0.15 ? "tech-debt" : label < 0.25 ? "customer" : label < 0.3 ? "security" : null, ct);
        await WriteAsync(w, r.Completed is { } done && r.Status != "Won't Do"
            ? done.Year.ToString(CultureInfo.InvariantCulture) + "." + ((done.Month + 2) / 3).ToString(CultureInfo.InvariantCulture) : null, ct);
        await WriteAsync(w, text.Chance(0.02) ? "imported" : null, ct);
        await w.WriteAsync(!text.Chance(0.003), NpgsqlDbType.Boolean, ct);
    }

    private const string PullRequestColumns =
        "pull_requests (id, client_id, repository_id, issue_id, number, title, author_id, commit_count, changed_files, additions, " +
        "deletions, review_cycles, rework_commit_count, created_at, merged_at, closed_at, status, active)";

    private static async Task WritePullRequestAsync(NpgsqlBinaryImporter w, ProjectChunk c, PlannedPr r, CancellationToken ct)
    {
        var text = SeededRandom.Derive(c.Seed, SeededRandom.Label("pr_text"), c.Tenant.Id, r.Id);
        await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct);
        await w.WriteAsync(c.Tenant.Id, NpgsqlDbType.Bigint, ct);
        await w.WriteAsync(r.Repo.Id, NpgsqlDbType.Bigint, ct);
        await WriteAsync(w, r.Issue?.Id, NpgsqlDbType.Bigint, ct);
        await w.WriteAsync(r.Number, NpgsqlDbType.Integer, ct);
        await w.WriteAsync(DemoText.PrTitle(c, r, text), NpgsqlDbType.Text, ct);
        await WriteAsync(w, r.Author?.Id, NpgsqlDbType.Bigint, ct);
        await w.WriteAsync(r.Commits, NpgsqlDbType.Integer, ct);
        await WriteAsync<int>(w, r.ChangedFiles < 0 ? null : r.ChangedFiles, NpgsqlDbType.Integer, ct);
        await WriteAsync<int>(w, r.Additions < 0 ? null : r.Additions, NpgsqlDbType.Integer, ct);
        await WriteAsync<int>(w, r.Deletions < 0 ? null : r.Deletions, NpgsqlDbType.Integer, ct);
        await w.WriteAsync(r.ReviewCycles, NpgsqlDbType.Integer, ct);
        await w.WriteAsync(r.ReworkCommits, NpgsqlDbType.Integer, ct);
        await w.WriteAsync(Ts(r.Created), NpgsqlDbType.TimestampTz, ct);
        await WriteAsync(w, Ts(r.Merged), NpgsqlDbType.TimestampTz, ct);
        await WriteAsync(w, Ts(r.Closed), NpgsqlDbType.TimestampTz, ct);
        await w.WriteAsync(r.Status, NpgsqlDbType.Text, ct);
        await w.WriteAsync(true, NpgsqlDbType.Boolean, ct);
    }

    private static async Task<long> CopyAsync<T>(NpgsqlConnection conn, string target, IEnumerable<T> rows,
        Func<NpgsqlBinaryImporter, T, Task> writeRow, CancellationToken ct)
    {
        await using var writer = await conn.BeginBinaryImportAsync($"COPY {target} FROM STDIN (FORMAT BINARY)", ct);
        long n = 0;
        foreach (var row in rows)
        {
            if ((n & 0x3FF) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }
            await writer.StartRowAsync(ct);
            await writeRow(writer, row);
            n++;
        }
        await writer.CompleteAsync(ct);
        return n;
    }

    /// <summary>Timestamps are whole seconds, so lead times add up exactly in SQL.</summary>
    private static DateTime Ts(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static DateTime? Ts(DateTime? t) => t is { } v ? Ts(v) : null;

    private static Task WriteAsync<T>(NpgsqlBinaryImporter w, T? value, NpgsqlDbType type, CancellationToken ct) where T : struct =>
        value is { } v ? w.WriteAsync(v, type, ct) : w.WriteNullAsync(ct);

    private static Task WriteAsync(NpgsqlBinaryImporter w, string? value, CancellationToken ct) =>
        value is null ? w.WriteNullAsync(ct) : w.WriteAsync(value, NpgsqlDbType.Text, ct);

    private static async Task EnsureSchemaAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM unnest($1::text[]) t WHERE to_regclass(t) IS NULL", conn)
        {
            Parameters = { new() { Value = Tables.ToArray() } },
        };
        if ((long)(await cmd.ExecuteScalarAsync(ct))! > 0)
        {
            throw new InvalidOperationException(
                $"Database '{conn.Database}' on {conn.Host}:{conn.Port} lacks the platform schema. Run the schema migrations (SchemaMigrator.Migrate) first.");
        }
    }

    private static async Task<bool> AnyRowsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var sql = "SELECT " + string.Join(" OR ", Tables.Select(t => $"EXISTS (SELECT 1 FROM {t})"));
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<bool> SuperuserAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", conn);
        return await cmd.ExecuteScalarAsync(ct) is true;
    }

    private static async Task AnalyzeAsync(NpgsqlConnection conn, CancellationToken ct) =>
        await ExecAsync(conn, null, "ANALYZE " + string.Join(", ", Tables), ct);

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
