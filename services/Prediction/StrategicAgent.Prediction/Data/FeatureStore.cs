using System.Text.RegularExpressions;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StrategicAgent.Data;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Forecasting;
using StrategicAgent.Prediction.Domain;

namespace StrategicAgent.Prediction.Data;

/// <summary>
/// Feature reads on the replica: every read runs in a <see cref="TenantSession"/> (READ ONLY, role
/// sa_query, row-level security on the caller's tenant) and the feature rows come from the ML
/// library's feature views with its own prediction SQL, so serving sees exactly the features the
/// model was trained on. Found rows are cached per tenant and key for a few seconds
/// (<see cref="PredictionOptions.FeatureCacheTtl"/>).
/// </summary>
public sealed partial class FeatureStore(NpgsqlDataSource replica, IMemoryCache cache, IOptions<PredictionOptions> options,
    TenantSnapshots<IReadOnlyDictionary<string, object>> snapshots, ILogger<FeatureStore> logger) : IFeatureStore
{
    private readonly PredictionOptions _options = options.Value;

    private const string AllIssuesSql =
        """
        SELECT i.id, i.key, i.summary, it.original_name, coalesce(i.work_first_started_at, i.created),
               i.work_last_completed_at, sm.status_to, i.total_lead_time_seconds, i.story_points::float8
        FROM issues i
        JOIN issuetypes it ON it.id = i.issuetype_id
        LEFT JOIN statuses s ON s.id = i.status_id
        LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = $1 AND i.active AND it.original_name = ANY($2)
        """;

    private const string AllPullRequestsSql =
        """
        SELECT p.id, r.name, p.number, p.title, p.status, r.full_name
        FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
        WHERE p.client_id = $1 AND p.active
        """;

    /// <summary>Snapshot key of a repository's open PRs (by lower-case name or full name).</summary>
    private static string RepositoryKey(string nameOrFullName) => "repo:" + nameOrFullName.ToLowerInvariant();

    /// <summary>Open PRs per repository are listed up to this many (by number), as the database path does.</summary>
    private const int MaxOpenPerRepository = 1000;

    private const string IssueLookupSql =
        """
        SELECT i.id, i.key, i.summary, it.original_name, coalesce(i.work_first_started_at, i.created),
               i.work_last_completed_at, sm.status_to, i.total_lead_time_seconds, i.story_points::float8
        FROM issues i
        JOIN issuetypes it ON it.id = i.issuetype_id
        LEFT JOIN statuses s ON s.id = i.status_id
        LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = $1 AND i.key = ANY($2) AND i.active
        """;

    private const string PullRequestLookupSql =
        """
        SELECT k.ord, p.id, r.name, p.number, p.title, p.status
        FROM unnest($2::text[], $3::int[], $4::int[]) AS k(repo, number, ord)
        JOIN pull_requests p ON p.client_id = $1 AND p.number = k.number AND p.active
        JOIN repositories r ON r.id = p.repository_id
        WHERE k.repo IS NULL OR lower(r.name) = k.repo OR lower(r.full_name) = k.repo
        """;

    private const string RepositorySql =
        "SELECT id, name FROM repositories WHERE client_id = $1 AND (lower(name) = $2 OR lower(full_name) = $2) ORDER BY id LIMIT 1";

    private const string OpenPullRequestsSql =
        """
        SELECT p.id, p.number, p.title, p.status
        FROM pull_requests p
        WHERE p.client_id = $1 AND p.repository_id = $2 AND p.status = 'open' AND p.active
        ORDER BY p.number
        LIMIT 1000
        """;

    private const string ProjectSql = "SELECT id FROM projects WHERE client_id = $1 AND key = $2";

    // Same eligibility and "earlier issues" rule as ml.complexity_features: for an issue created now,
    // every existing estimated issue of the project is earlier.
    private const string ProjectPriorsSql =
        """
        SELECT avg(x.story_points) FILTER (WHERE x.story_points > 0 AND x.story_points <= 21)::float8,
               count(*) FILTER (WHERE x.story_points > 0 AND x.story_points <= 21)
        FROM issues x
        JOIN issuetypes xt ON xt.id = x.issuetype_id AND xt.original_name IN ('Story', 'Task', 'Bug')
        WHERE x.client_id = $1 AND x.project_id = $2 AND x.active
        """;

    public Task<IReadOnlyDictionary<string, EpicInput>> EpicsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct) =>
        CachedAsync(FeatureKinds.Epics, clientId, keys, k => k, async (conn, loadCt) =>
        {
            var issues = await AllIssuesAsync(conn, clientId, ["Epic"], loadCt);
            var rows = await ReadAllRowsAsync<TrajectoryFeatures>(conn, FeatureSet.Trajectory, clientId, loadCt);
            return issues.Values.ToDictionary(i => i.Key, i => Epic(i, rows.GetValueOrDefault(i.Id)));
        }, async (conn, missing) =>
        {
            var issues = await LookupIssuesAsync(conn, clientId, missing, ct);
            var epics = issues.Values.Where(i => i.Type == "Epic").ToList();
            var rows = await ReadRowsAsync<TrajectoryFeatures>(conn, FeatureSet.Trajectory, clientId, epics.Select(e => e.Id), ct);
            return issues.Values.ToDictionary(i => i.Key, i => Epic(i, rows.GetValueOrDefault(i.Id)));
        }, ct);

    private static EpicInput Epic(IssueRow i, TrajectoryFeatures? row) => new(
        i.Key, i.Id, i.Summary, i.Type, i.Started, i.Completed, i.StatusTo == "Done",
        i.LeadSeconds is { } s && i.StatusTo == "Done" ? s / 86400.0 : null, row);

    public Task<IReadOnlyDictionary<string, IssueInput>> IssuesAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct) =>
        CachedAsync(FeatureKinds.Issues, clientId, keys, k => k, async (conn, loadCt) =>
        {
            var issues = await AllIssuesAsync(conn, clientId, ["Story", "Task", "Bug"], loadCt);
            var rows = await ReadAllRowsAsync<ComplexityFeatures>(conn, FeatureSet.Complexity, clientId, loadCt);
            return issues.Values.ToDictionary(i => i.Key, i => new IssueInput(i.Key, i.Id, i.Type, i.Points, rows.GetValueOrDefault(i.Id)));
        }, async (conn, missing) =>
        {
            var issues = await LookupIssuesAsync(conn, clientId, missing, ct);
            var rows = await ReadRowsAsync<ComplexityFeatures>(conn, FeatureSet.Complexity, clientId,
                issues.Values.Where(i => IsEstimated(i.Type)).Select(i => i.Id), ct);
            return issues.Values.ToDictionary(i => i.Key, i => new IssueInput(i.Key, i.Id, i.Type, i.Points, rows.GetValueOrDefault(i.Id)));
        }, ct);

    public Task<IReadOnlyDictionary<string, UnifiedInput>> UnifiedAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct) =>
        CachedAsync(FeatureKinds.Unified, clientId, keys, k => k, async (conn, loadCt) =>
        {
            var issues = await AllIssuesAsync(conn, clientId, ["Story", "Task", "Bug"], loadCt);
            var rows = await ReadAllRowsAsync<UnifiedFeatures>(conn, FeatureSet.Unified, clientId, loadCt);
            return issues.Values.ToDictionary(i => i.Key, i => new UnifiedInput(i.Key, i.Id, i.Type, rows.GetValueOrDefault(i.Id)));
        }, async (conn, missing) =>
        {
            var issues = await LookupIssuesAsync(conn, clientId, missing, ct);
            var rows = await ReadRowsAsync<UnifiedFeatures>(conn, FeatureSet.Unified, clientId,
                issues.Values.Where(i => IsEstimated(i.Type)).Select(i => i.Id), ct);
            return issues.Values.ToDictionary(i => i.Key, i => new UnifiedInput(i.Key, i.Id, i.Type, rows.GetValueOrDefault(i.Id)));
        }, ct);

    public async Task<IReadOnlyList<PullRequestInput>> PullRequestsAsync(long clientId, IReadOnlyList<PullRequestKey> keys, CancellationToken ct)
    {
        var found = await CachedAsync(FeatureKinds.PullRequests, clientId, keys, k => k.ToString(), LoadAllPullRequestsAsync(clientId), async (conn, missing) =>
        {
            await using var cmd = new NpgsqlCommand(PullRequestLookupSql, conn);
            cmd.Parameters.Add(new() { Value = clientId });
            cmd.Parameters.Add(new() { Value = missing.Select(k => (object?)k.Repository ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new() { Value = missing.Select(k => k.Number).ToArray() });
            cmd.Parameters.Add(new() { Value = Enumerable.Range(0, missing.Count).ToArray() });
            var matches = new List<(int Ord, long Id, string Repo, int Number, string Title, string Status)>();
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    matches.Add((r.GetInt32(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.GetString(5)));
                }
            }
            var unique = matches.GroupBy(m => m.Ord).Where(g => g.Count() == 1).Select(g => g.Single()).ToList();
            var rows = await ReadRowsAsync<ReworkFeatures>(conn, FeatureSet.Rework, clientId, unique.Select(m => m.Id), ct);
            var result = new Dictionary<string, PullRequestInput>(StringComparer.Ordinal);
            foreach (var g in matches.GroupBy(m => m.Ord))
            {
                var key = missing[g.Key].ToString();
                if (g.Count() > 1)
                {
                    // Ambiguity is not cached: it is an answer about the request, not a feature row.
                    result[key] = new PullRequestInput(key,
                        $"PR number {missing[g.Key].Number} exists in several repositories ({string.Join(", ", g.Select(m => m.Repo).Order())}): name it as 'repository#number'.",
                        0, "", missing[g.Key].Number, "", "", null);
                    continue;
                }
                var m = g.Single();
                result[key] = new PullRequestInput(key, null, m.Id, m.Repo, m.Number, m.Title, m.Status, rows.GetValueOrDefault(m.Id));
            }
            return result;
        }, ct);
        return keys.Select(k => found.TryGetValue(k.ToString(), out var pr) ? pr : null).OfType<PullRequestInput>().ToList();
    }

    /// <summary>
    /// Loads every PR of a tenant with its rework features (keyed as requests name them) and each repository's open
    /// PRs (keyed by <see cref="RepositoryKey"/>): one snapshot serves both PR keys and "riskiest open PRs of a repository".
    /// </summary>
    private Func<NpgsqlConnection, CancellationToken, Task<Dictionary<string, object>>> LoadAllPullRequestsAsync(long clientId) =>
        async (conn, loadCt) =>
    {
        var prs = new List<(long Id, string Repo, int Number, string Title, string Status, string? FullName)>();
        await using (var cmd = new NpgsqlCommand(AllPullRequestsSql, conn))
        {
            cmd.Parameters.Add(new() { Value = clientId });
            await using var r = await cmd.ExecuteReaderAsync(loadCt);
            while (await r.ReadAsync(loadCt))
            {
                prs.Add((r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)));
            }
        }
        var rows = await ReadAllRowsAsync<ReworkFeatures>(conn, FeatureSet.Rework, clientId, loadCt);
        var all = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var p in prs)
        {
            // Keyed as a request names it: lower-case repository name and number (unique per repository).
            var key = new PullRequestKey(p.Repo.ToLowerInvariant(), p.Number).ToString();
            all[key] = new PullRequestInput(key, null, p.Id, p.Repo, p.Number, p.Title, p.Status, rows.GetValueOrDefault(p.Id));
        }
        // Each repository's open PRs, for "riskiest open PRs of a repository" (found by name or full name). The first
        // repository of a name wins, as the database path's ORDER BY id LIMIT 1 does (names are unique per tenant here).
        foreach (var repo in prs.GroupBy(p => (p.Repo, p.FullName)))
        {
            var open = new OpenPullRequests(repo.Key.Repo, repo.Where(p => p.Status == "open").OrderBy(p => p.Number).Take(MaxOpenPerRepository)
                .Select(p => new PullRequestInput(repo.Key.Repo + "#" + p.Number, null, p.Id, p.Repo, p.Number, p.Title, p.Status, rows.GetValueOrDefault(p.Id)))
                .ToList());
            all.TryAdd(RepositoryKey(repo.Key.Repo), open);
            if (repo.Key.FullName is { Length: > 0 } full)
            {
                all.TryAdd(RepositoryKey(full), open);
            }
        }
        return all;
    };

    public async Task<WorkHistory> WorkHistoryAsync(long clientId, CancellationToken ct)
    {
        Func<NpgsqlConnection, CancellationToken, Task<Dictionary<string, WorkHistory>>> load = async (conn, loadCt) =>
            new Dictionary<string, WorkHistory>(StringComparer.Ordinal) { [FeatureKinds.WorkHistoryKey] = await WorkHistoryReader.ReadAsync(conn, clientId, loadCt) };
        if (await SnapshotAsync(FeatureKinds.Work, clientId, load, ct) is { } snapshot
            && snapshot.TryGetValue(FeatureKinds.WorkHistoryKey, out var cached) && cached is WorkHistory history)
        {
            return history;
        }
        // Snapshots off or the load failed: read it for this request (whole tenant, the snapshot's timeout).
        return await InSessionAsync(clientId, conn => WorkHistoryReader.ReadAsync(conn, clientId, ct), _options.TenantSnapshotLoadTimeout, wholeTenant: true, ct);
    }

    public async Task<OpenPullRequests?> OpenPullRequestsAsync(long clientId, string repository, CancellationToken ct)
    {
        // From the tenant's PR snapshot: the same object until it refreshes (the risk ranking is kept with it).
        if (await SnapshotAsync(FeatureKinds.PullRequests, clientId, LoadAllPullRequestsAsync(clientId), ct) is { } snapshot
            && snapshot.TryGetValue(RepositoryKey(repository), out var cached) && cached is OpenPullRequests fromSnapshot)
        {
            return fromSnapshot;
        }
        // No snapshot (off, too large, failed) or a repository created since it was loaded.
        return await InSessionAsync(clientId, async conn =>
        {
            await using var repoCmd = new NpgsqlCommand(RepositorySql, conn);
            repoCmd.Parameters.Add(new() { Value = clientId });
            repoCmd.Parameters.Add(new() { Value = repository.ToLowerInvariant() });
            long repoId;
            string repoName;
            await using (var r = await repoCmd.ExecuteReaderAsync(ct))
            {
                if (!await r.ReadAsync(ct))
                {
                    return null;
                }
                repoId = r.GetInt64(0);
                repoName = r.GetString(1);
            }
            await using var cmd = new NpgsqlCommand(OpenPullRequestsSql, conn);
            cmd.Parameters.Add(new() { Value = clientId });
            cmd.Parameters.Add(new() { Value = repoId });
            var prs = new List<(long Id, int Number, string Title, string Status)>();
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    prs.Add((r.GetInt64(0), r.GetInt32(1), r.GetString(2), r.GetString(3)));
                }
            }
            var rows = await ReadRowsAsync<ReworkFeatures>(conn, FeatureSet.Rework, clientId, prs.Select(p => p.Id), ct);
            return new OpenPullRequests(repoName, prs
                .Select(p => new PullRequestInput(repoName + "#" + p.Number, null, p.Id, repoName, p.Number, p.Title, p.Status, rows.GetValueOrDefault(p.Id)))
                .ToList());
        }, ct);
    }

    public async Task<IReadOnlyList<NewIssueFeatures>> NewIssuesAsync(long clientId, IReadOnlyList<NewIssueInput> issues, CancellationToken ct)
    {
        if (issues.Count == 0)
        {
            return [];
        }
        return await InSessionAsync(clientId, async conn =>
        {
            var priors = new Dictionary<string, (long ProjectId, double? Mean, long Count)?>(StringComparer.Ordinal);
            foreach (var projectKey in issues.Select(i => i.ProjectKey).Distinct(StringComparer.Ordinal))
            {
                priors[projectKey] = await ProjectPriorsAsync(conn, clientId, projectKey, ct);
            }
            var result = new List<NewIssueFeatures>(issues.Count);
            for (var i = 0; i < issues.Count; i++)
            {
                var issue = issues[i];
                if (priors[issue.ProjectKey] is not { } p)
                {
                    result.Add(new NewIssueFeatures(i, null, $"project '{issue.ProjectKey}' not found for this tenant"));
                    continue;
                }
                result.Add(new NewIssueFeatures(i, BuildNewIssueRow(clientId, p.ProjectId, p.Mean, p.Count, issue), null));
            }
            return result;
        }, ct);
    }

    /// <summary>The complexity features of an issue that does not exist yet, computed as ml.complexity_features would.</summary>
    internal static ComplexityFeatures BuildNewIssueRow(long clientId, long projectId, double? priorMean, long priorCount, NewIssueInput issue)
    {
        var description = issue.Description ?? "";
        return new ComplexityFeatures
        {
            EntityId = 0,
            ClientId = clientId,
            LabelKnownAt = DateTime.UtcNow,
            Text = issue.Summary + "\n" + (description.Length > 1000 ? description[..1000] : description),
            IssueType = issue.IssueType,
            Project = projectId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Priority = string.IsNullOrWhiteSpace(issue.Priority) ? "none" : issue.Priority,
            SummaryWords = Whitespace().Split(issue.Summary.Trim()).Length,
            DescriptionChars = description.Length,
            HasEpic = 0,
            ProjectPriorMeanPoints = priorMean is { } m ? (float)m : -1,
            ProjectPriorPointed = priorCount,
        };
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    private static bool IsEstimated(string type) => type is "Story" or "Task" or "Bug";

    private async Task<(long, double?, long)?> ProjectPriorsAsync(NpgsqlConnection conn, long clientId, string projectKey, CancellationToken ct)
    {
        await using var project = new NpgsqlCommand(ProjectSql, conn);
        project.Parameters.Add(new() { Value = clientId });
        project.Parameters.Add(new() { Value = projectKey });
        if (await project.ExecuteScalarAsync(ct) is not long projectId)
        {
            return null;
        }
        await using var cmd = new NpgsqlCommand(ProjectPriorsSql, conn);
        cmd.Parameters.Add(new() { Value = clientId });
        cmd.Parameters.Add(new() { Value = projectId });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (projectId, r.IsDBNull(0) ? null : r.GetDouble(0), r.GetInt64(1));
    }

    private sealed record IssueRow(long Id, string Key, string Summary, string Type, DateTimeOffset Started,
        DateTimeOffset? Completed, string? StatusTo, long? LeadSeconds, double? Points);

    private static async Task<Dictionary<string, IssueRow>> LookupIssuesAsync(NpgsqlConnection conn, long clientId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(IssueLookupSql, conn);
        cmd.Parameters.Add(new() { Value = clientId });
        cmd.Parameters.Add(new() { Value = keys.ToArray() });
        var result = new Dictionary<string, IssueRow>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var row = new IssueRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetString(6),
                r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetDouble(8));
            result[row.Key] = row;
        }
        return result;
    }

    private static async Task<Dictionary<long, T>> ReadRowsAsync<T>(NpgsqlConnection conn, FeatureSet set, long clientId, IEnumerable<long> ids, CancellationToken ct)
        where T : class, IFeatureRow, new()
    {
        var idArray = ids.ToArray();
        if (idArray.Length == 0)
        {
            return [];
        }
        await using var cmd = new NpgsqlCommand(set.PredictionSql, conn);
        cmd.Parameters.Add(new() { Value = clientId });
        cmd.Parameters.Add(new() { Value = idArray });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = await FeatureReader.ReadAllAsync<T>(reader, ct);
        return rows.ToDictionary(r => r.EntityId);
    }

    private static async Task<Dictionary<long, IssueRow>> AllIssuesAsync(NpgsqlConnection conn, long clientId, string[] types, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(AllIssuesSql, conn);
        cmd.Parameters.Add(new() { Value = clientId });
        cmd.Parameters.Add(new() { Value = types });
        var result = new Dictionary<long, IssueRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var row = new IssueRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetString(6),
                r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetDouble(8));
            result[row.Id] = row;
        }
        return result;
    }

    /// <summary>Every row of a model's feature view for one tenant (same columns as the library's prediction SQL).</summary>
    private static async Task<Dictionary<long, T>> ReadAllRowsAsync<T>(NpgsqlConnection conn, FeatureSet set, long clientId, CancellationToken ct)
        where T : class, IFeatureRow, new()
    {
        await using var cmd = new NpgsqlCommand($"SELECT {string.Join(", ", FeatureSql.ColumnsOf(set.RowType))} FROM {set.View} WHERE client_id = $1", conn);
        cmd.Parameters.Add(new() { Value = clientId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = await FeatureReader.ReadAllAsync<T>(reader, ct);
        return rows.ToDictionary(r => r.EntityId);
    }

    /// <summary>
    /// The tenant's snapshot of a kind, or null (snapshots off, too large, or the load failed: the caller reads its
    /// keys individually). The load runs on its own token and timeout, in a session tuned for a whole-tenant read.
    /// </summary>
    private async ValueTask<IReadOnlyDictionary<string, object>?> SnapshotAsync<TAll>(string kind, long clientId,
        Func<NpgsqlConnection, CancellationToken, Task<Dictionary<string, TAll>>> loadAll, CancellationToken ct) where TAll : class
    {
        if (_options.TenantSnapshotTtl <= TimeSpan.Zero)
        {
            return null;
        }
        return await snapshots.GetAsync(kind, clientId, _options.TenantSnapshotTtl, _options.TenantSnapshotWait, _options.TenantSnapshotLoadTimeout,
            async loadCt =>
            {
                try
                {
                    var all = await InSessionAsync(clientId, conn => loadAll(conn, loadCt), _options.TenantSnapshotLoadTimeout, wholeTenant: true, loadCt);
                    if (all.Count > _options.TenantSnapshotMaxRows)
                    {
                        return null; // remembered for the TTL: too large to hold, keys are read individually
                    }
                    return all.ToDictionary(kv => kv.Key, kv => (object)kv.Value, StringComparer.Ordinal);
                }
                catch (Exception ex)
                {
                    LogSnapshotFailed(logger, ex, kind, clientId);
                    throw;
                }
            }, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading the {Kind} feature snapshot of tenant {ClientId} failed; the next request loads it again")]
    private static partial void LogSnapshotFailed(ILogger logger, Exception ex, string kind, long clientId);

    private Task<T> InSessionAsync<T>(long clientId, Func<NpgsqlConnection, Task<T>> work, CancellationToken ct) =>
        InSessionAsync(clientId, work, _options.FeatureReadTimeout, wholeTenant: false, ct);

    /// <summary>
    /// A tenant session (READ ONLY, sa_query, row-level security) with the planner set for feature reads: JIT off
    /// (these reads take well under a second; compiling them took up to 3 s), and for a whole-tenant read no nested
    /// loops (it joins window results whose sizes the planner cannot estimate; hash joins are right for all rows,
    /// as for training reads — see FeatureReader.BeginTrainingReadAsync).
    /// </summary>
    private async Task<T> InSessionAsync<T>(long clientId, Func<NpgsqlConnection, Task<T>> work, TimeSpan timeout, bool wholeTenant, CancellationToken ct)
    {
        await using var conn = await replica.OpenConnectionAsync(ct);
        await using var tx = await TenantSession.BeginReadOnlyAsync(conn, clientId, timeout, ct);
        await using (var planner = new NpgsqlCommand(wholeTenant ? "SET LOCAL jit = off; SET LOCAL enable_nestloop = off" : "SET LOCAL jit = off", conn, tx))
        {
            await planner.ExecuteNonQueryAsync(ct);
        }
        var result = await work(conn);
        await tx.CommitAsync(ct);
        return result;
    }

    private sealed record CacheKey(string Kind, long ClientId, string Key);

    /// <summary>
    /// Serves what the cache has, reads the rest in one tenant session and caches what was found.
    /// Unknown keys are not cached (a key created a moment later is found at once).
    /// </summary>
    private async Task<IReadOnlyDictionary<string, TValue>> CachedAsync<TKey, TValue, TAll>(
        string kind, long clientId, IReadOnlyList<TKey> keys, Func<TKey, string> name,
        Func<NpgsqlConnection, CancellationToken, Task<Dictionary<string, TAll>>> readAll,
        Func<NpgsqlConnection, IReadOnlyList<TKey>, Task<Dictionary<string, TValue>>> read, CancellationToken ct)
        where TValue : class where TAll : class
    {
        var result = new Dictionary<string, TValue>(keys.Count, StringComparer.Ordinal);
        IReadOnlyList<TKey> missing = keys;
        // The tenant snapshot first: with snapshots on it answers nearly every key, so the key cache
        // (which only holds rows read individually) is not probed for them.
        if (await SnapshotAsync(kind, clientId, readAll, ct) is { } snapshot)
        {
            List<TKey>? stillMissing = null;
            foreach (var k in keys)
            {
                var n = name(k);
                if (snapshot.TryGetValue(n, out var v) && v is TValue value)
                {
                    result[n] = value;
                }
                else
                {
                    (stillMissing ??= []).Add(k);
                }
            }
            if (stillMissing is null)
            {
                return result;
            }
            missing = stillMissing;
        }
        var useCache = _options.FeatureCacheTtl > TimeSpan.Zero;
        if (useCache)
        {
            var notCached = new List<TKey>(missing.Count);
            foreach (var k in missing)
            {
                if (cache.TryGetValue(new CacheKey(kind, clientId, name(k)), out TValue? hit) && hit is not null)
                {
                    result[name(k)] = hit;
                }
                else
                {
                    notCached.Add(k);
                }
            }
            missing = notCached;
        }
        if (missing.Count == 0)
        {
            return result;
        }
        var read_ = await InSessionAsync(clientId, conn => read(conn, missing), ct);
        foreach (var (k, v) in read_)
        {
            result[k] = v;
            if (useCache && v is not PullRequestInput { Problem: not null })
            {
                cache.Set(new CacheKey(kind, clientId, k), v, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _options.FeatureCacheTtl });
            }
        }
        return result;
    }
}
