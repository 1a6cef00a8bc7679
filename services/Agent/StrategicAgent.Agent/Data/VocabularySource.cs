using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Data;

namespace StrategicAgent.Agent.Data;

/// <summary>
/// The tenant's team, project, repository, issue type and user names, read from the replica under
/// the tenant's row-level security and cached briefly: the parser recognises them in questions.
/// </summary>
public sealed class VocabularySource(
    NpgsqlDataSource replica,
    IOptions<AgentOptions> options,
    TimeProvider clock) : IVocabularySource
{
    private readonly ConcurrentDictionary<long, (TenantVocabulary Vocabulary, DateTimeOffset Loaded)> _cache = new();

    private const string Sql = """
        SELECT 't', name, NULL FROM teams WHERE client_id = $1
        UNION ALL SELECT 'p', key, name FROM projects WHERE client_id = $1
        UNION ALL SELECT 'r', name, NULL FROM repositories WHERE client_id = $1
        UNION ALL SELECT DISTINCT 'i', original_name, NULL FROM issuetypes WHERE client_id = $1
        UNION ALL SELECT 'u', name, NULL FROM users WHERE client_id = $1
        """;

    public async Task<TenantVocabulary> GetAsync(long clientId, CancellationToken ct)
    {
        var ttl = TimeSpan.FromSeconds(options.Value.VocabularyCacheSeconds);
        if (_cache.TryGetValue(clientId, out var hit) && clock.GetUtcNow() - hit.Loaded < ttl)
        {
            return hit.Vocabulary;
        }
        var teams = new List<string>();
        var projects = new List<(string, string)>();
        var repos = new List<string>();
        var types = new List<string>();
        var users = new List<string>();
        await using (var conn = await replica.OpenConnectionAsync(ct))
        await using (var tx = await TenantSession.BeginReadOnlyAsync(conn, clientId, TimeSpan.FromSeconds(options.Value.StatementTimeoutSeconds), ct))
        {
            await using var cmd = new NpgsqlCommand(Sql, conn, tx) { Parameters = { new() { Value = clientId } } };
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var name = r.GetString(1);
                switch (r.GetString(0))
                {
                    case "t": teams.Add(name); break;
                    case "p": projects.Add((name, r.IsDBNull(2) ? name : r.GetString(2))); break;
                    case "r": repos.Add(name); break;
                    case "i": types.Add(name); break;
                    default: users.Add(name); break;
                }
            }
        }
        var v = new TenantVocabulary(teams.Distinct().ToList(), projects, repos.Distinct().ToList(), types, users.Distinct().ToList());
        _cache[clientId] = (v, clock.GetUtcNow());
        return v;
    }
}
