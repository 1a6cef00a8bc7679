using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Validation.Domain.Judging;

namespace StrategicAgent.Validation.Data;

/// <summary>
/// A tenant's names (teams, project keys, repositories, people, issue types) read from the replica as
/// that tenant (row-level security), kept for <see cref="CacheFor"/>. The judge needs them to know that
/// "Platform" in a question is a team the SQL must filter on. A failed read gives no names (the judge
/// then checks fewer conditions, it does not pass more SQL: a name in the SQL must still be in the question).
/// </summary>
public sealed partial class ReplicaTenantNames(NpgsqlDataSource replica, TimeProvider time, ILogger<ReplicaTenantNames> logger) : ITenantNames
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);

    internal const string NamesSql = """
        SELECT 'team', name FROM teams
        UNION ALL SELECT 'project', key FROM projects
        UNION ALL SELECT 'repository', name FROM repositories
        UNION ALL SELECT 'person', name FROM users
        UNION ALL SELECT 'issuetype', original_name FROM issuetypes
        """;

    private readonly ConcurrentDictionary<long, (TenantNames Names, DateTimeOffset At)> _cache = new();

    public async ValueTask<TenantNames> GetAsync(long clientId, CancellationToken ct)
    {
        if (clientId <= 0)
        {
            return TenantNames.Empty;
        }
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(clientId, out var hit) && now - hit.At < CacheFor)
        {
            return hit.Names;
        }
        try
        {
            await using var conn = await replica.OpenConnectionAsync(ct);
            await using var tx = await TenantSession.BeginReadOnlyAsync(conn, clientId, TimeSpan.FromSeconds(5), ct);
            await using var cmd = new NpgsqlCommand(NamesSql, conn, tx);
            var lists = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var kind = reader.GetString(0);
                    if (!lists.TryGetValue(kind, out var list))
                    {
                        lists[kind] = list = [];
                    }
                    list.Add(reader.GetString(1));
                }
            }
            await tx.RollbackAsync(ct);
            List<string> Of(string kind) => lists.TryGetValue(kind, out var l) ? l.Distinct(StringComparer.Ordinal).ToList() : [];
            var names = new TenantNames(Of("team"), Of("project"), Of("repository"), Of("person"), Of("issuetype"));
            _cache[clientId] = (names, now);
            return names;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            LogNamesFailed(logger, clientId, e);
            return TenantNames.Empty;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the names of tenant {ClientId} for the semantic judge")]
    private static partial void LogNamesFailed(ILogger logger, long clientId, Exception e);
}
