using Npgsql;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.MlTraining.Data;

/// <summary>
/// Loads a story-points CSV into the platform tables on the primary as one tenant
/// ("storypoints:&lt;project&gt;") with one project, one team and Done issues with their points.
/// Creation times follow the published split order (train oldest, then val, then test), one hour
/// apart, so the time-ordered split of the complexity model reproduces it. Re-running skips the
/// issues already there. This is ingestion (it writes the primary); training still reads only the replica.
/// </summary>
public static class StoryPointsImporter
{
    public sealed record Result(long ClientId, int Issues, int Skipped);

    private static readonly DateTime Base = new(2015, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static async Task<Result> ImportAsync(string primary, string project, IReadOnlyList<StoryPointIssue> issues, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(primary);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Exec(conn, tx, "LOCK TABLE clients IN EXCLUSIVE MODE", ct);
        var clientName = "storypoints:" + project;
        var clientId = await Scalar(conn, tx, "SELECT id FROM clients WHERE name = $1", ct, clientName) as long?;
        long teamId, projectId, typeId, statusId;
        var key = new string(project.Where(char.IsLetter).Take(6).ToArray()).ToUpperInvariant();
        if (clientId is null)
        {
            clientId = await Next(conn, tx, "clients", ct);
            await Exec(conn, tx, "INSERT INTO clients (id, name) VALUES ($1, $2)", ct, clientId.Value, clientName);
            teamId = await Next(conn, tx, "teams", ct);
            await Exec(conn, tx, "INSERT INTO teams (id, client_id, name) VALUES ($1, $2, $3)", ct, teamId, clientId.Value, project + " team");
            projectId = await Next(conn, tx, "projects", ct);
            await Exec(conn, tx, "INSERT INTO projects (id, client_id, key, name, team_id) VALUES ($1, $2, $3, $4, $5)", ct, projectId, clientId.Value, key, project, teamId);
            typeId = await Next(conn, tx, "issuetypes", ct);
            await Exec(conn, tx, "INSERT INTO issuetypes (id, client_id, original_name) VALUES ($1, $2, 'Story')", ct, typeId, clientId.Value);
            var mappingId = await Next(conn, tx, "status_mappings", ct);
            await Exec(conn, tx, "INSERT INTO status_mappings (id, client_id, status_from, status_to) VALUES ($1, $2, 'Done', 'Done')", ct, mappingId, clientId.Value);
            statusId = await Next(conn, tx, "statuses", ct);
            await Exec(conn, tx, "INSERT INTO statuses (id, client_id, original_name, status_mapping_id) VALUES ($1, $2, 'Done', $3)", ct, statusId, clientId.Value, mappingId);
        }
        else
        {
            projectId = (long)(await Scalar(conn, tx, "SELECT id FROM projects WHERE client_id = $1 ORDER BY id LIMIT 1", ct, clientId.Value))!;
            typeId = (long)(await Scalar(conn, tx, "SELECT id FROM issuetypes WHERE client_id = $1 AND original_name = 'Story' LIMIT 1", ct, clientId.Value))!;
            statusId = (long)(await Scalar(conn, tx, "SELECT id FROM statuses WHERE client_id = $1 LIMIT 1", ct, clientId.Value))!;
        }

        var ordered = issues.Select((x, i) => (x, i)).OrderBy(t => t.x.Split switch { "train" => 0, "val" => 1, _ => 2 }).ThenBy(t => t.i).Select(t => t.x).ToList();
        var firstId = await Next(conn, tx, "issues", ct);
        var ids = new long[ordered.Count];
        var keys = new string[ordered.Count];
        var created = new DateTime[ordered.Count];
        for (var i = 0; i < ordered.Count; i++)
        {
            ids[i] = firstId + i;
            keys[i] = ordered[i].Key;
            created[i] = Base.AddHours(i);
        }
        await using var insert = new NpgsqlCommand("""
            INSERT INTO issues (id, client_id, project_id, key, summary, description, issuetype_id, status_id, story_points, created, updated,
                                work_first_started_at, work_last_completed_at, total_lead_time_seconds)
            SELECT u.id, $1, $2, u.key, u.summary, nullif(u.description, ''), $3, $4, u.points, u.created, u.created, NULL, NULL, NULL
            FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::timestamptz[]) AS u(id, key, summary, description, points, created)
            ON CONFLICT (client_id, key) DO NOTHING
            """, conn, tx);
        foreach (var v in new object[] { clientId.Value, projectId, typeId, statusId, ids, keys,
                     ordered.Select(x => x.Title.Length == 0 ? x.Key : x.Title).ToArray(), ordered.Select(x => x.Description).ToArray(),
                     ordered.Select(x => (decimal)x.Points).ToArray(), created })
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        var inserted = await insert.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return new Result(clientId.Value, inserted, ordered.Count - inserted);
    }

    private static async Task<long> Next(NpgsqlConnection c, NpgsqlTransaction tx, string table, CancellationToken ct) =>
        (long)(await Scalar(c, tx, $"SELECT coalesce(max(id), 0) + 1 FROM {table}", ct))!;

    private static async Task<object?> Scalar(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return await cmd.ExecuteScalarAsync(ct);
    }

    private static async Task Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
