namespace StrategicAgent.Agent.Tests;

/// <summary>SQL the scripted models "write".</summary>
public static class Sql
{
    public static string LeadTimeByTeam(long clientId, string teamColumn = "name") => $"""
        SELECT t.{teamColumn} AS team, round(avg(i.total_lead_time_seconds) / 86400.0, 2) AS lead_time_avg_days, count(*) AS issues
        FROM issues i
        JOIN projects p ON p.id = i.project_id
        JOIN teams t ON t.id = p.team_id
        JOIN statuses s ON s.id = i.status_id
        JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = {clientId} AND i.active AND sm.status_to = 'Done' AND i.total_lead_time_seconds IS NOT NULL
        GROUP BY t.{teamColumn}
        ORDER BY lead_time_avg_days DESC
        LIMIT 50
        """;

    public static string Fenced(string sql) => "Here is the query:\n```sql\n" + sql + "\n```";

    public const string JudgeOk = """{"valid": true, "justification": "averages lead time per team over done issues", "confidence": 0.93}""";
}
