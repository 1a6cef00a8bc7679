using Npgsql;

namespace StrategicAgent.Ml.Forecasting;

/// <summary>
/// Reads one tenant's <see cref="WorkHistory"/> from the replica: its active epics, stories, tasks and bugs (parent,
/// project, created / started / completed, done by the status mapping, story points) and which team owns each project.
/// The prediction service runs it inside a tenant session (row-level security); the backtest as the ML reader.
/// </summary>
public static class WorkHistoryReader
{
    public const string IssuesSql =
        """
        SELECT i.id, i.key, it.original_name, i.parent_id, i.project_id, i.created, i.work_first_started_at,
               i.work_last_completed_at, coalesce(sm.status_to = 'Done', false), i.story_points::float8
        FROM issues i
        JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name IN ('Epic', 'Story', 'Task', 'Bug')
        LEFT JOIN statuses s ON s.id = i.status_id
        LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = $1 AND i.active
        """;

    public const string ProjectsSql = "SELECT id, team_id FROM projects WHERE client_id = $1";

    public static async Task<WorkHistory> ReadAsync(NpgsqlConnection conn, long clientId, CancellationToken ct)
    {
        var items = new List<WorkItem>();
        await using (var cmd = new NpgsqlCommand(IssuesSql, conn))
        {
            cmd.Parameters.Add(new() { Value = clientId });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                items.Add(new WorkItem(r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetInt64(4),
                    Utc(r.GetDateTime(5)), r.IsDBNull(6) ? null : Utc(r.GetDateTime(6)), r.IsDBNull(7) ? null : Utc(r.GetDateTime(7)),
                    r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetDouble(9)));
            }
        }
        var teams = new Dictionary<long, long?>();
        await using (var cmd = new NpgsqlCommand(ProjectsSql, conn))
        {
            cmd.Parameters.Add(new() { Value = clientId });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                teams[r.GetInt64(0)] = r.IsDBNull(1) ? null : r.GetInt64(1);
            }
        }
        return new WorkHistory(items, teams);
    }

    private static DateTime Utc(DateTime t) => t.Kind == DateTimeKind.Utc ? t : DateTime.SpecifyKind(t.ToUniversalTime(), DateTimeKind.Utc);
}
