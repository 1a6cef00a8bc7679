namespace StrategicAgent.Validation.Domain;

/// <summary>
/// Functions generated SQL may not call. The database already runs generated SQL as a SELECT-only
/// role in a READ ONLY transaction with a statement timeout; this list catches what those guards do
/// not, or catches it earlier with a message a model can act on. Each entry says why.
/// Matching is on the unqualified, lower-cased name (<c>pg_catalog.pg_sleep</c> = <c>pg_sleep</c>).
/// </summary>
public static class FunctionDenylist
{
    private static readonly Dictionary<string, string> Exact = new(StringComparer.Ordinal)
    {
        // Tenant escape: row-level security keys on app.client_id; set_config inside the query could change it.
        ["set_config"] = "changes server settings (it could change app.client_id, the tenant key)",
        // Denial of service: holds a connection and a snapshot for as long as asked.
        ["pg_sleep"] = "only delays the query",
        ["pg_sleep_for"] = "only delays the query",
        ["pg_sleep_until"] = "only delays the query",
        // Server file system access (superuser or pg_read_server_files, but never from generated SQL).
        ["pg_read_file"] = "reads files on the database server",
        ["pg_read_binary_file"] = "reads files on the database server",
        ["pg_stat_file"] = "inspects files on the database server",
        ["pg_file_write"] = "writes files on the database server",
        ["pg_file_rename"] = "renames files on the database server",
        ["pg_file_unlink"] = "deletes files on the database server",
        // Other sessions and the server itself.
        ["pg_terminate_backend"] = "terminates other sessions",
        ["pg_cancel_backend"] = "cancels other sessions' queries",
        ["pg_reload_conf"] = "reloads the server configuration",
        ["pg_rotate_logfile"] = "rotates the server log",
        ["pg_promote"] = "promotes a standby",
        ["pg_switch_wal"] = "forces a WAL switch",
        ["pg_create_restore_point"] = "writes to the WAL",
        ["pg_log_backend_memory_contexts"] = "writes to the server log",
        ["pg_notify"] = "sends notifications to other sessions",
        ["pg_logical_emit_message"] = "writes to the WAL",
        ["pg_import_system_collations"] = "changes the catalog",
        // Sequences: nextval/setval write even from a SELECT; currval/lastval leak session state.
        ["nextval"] = "advances a sequence (a write)",
        ["setval"] = "sets a sequence (a write)",
        ["currval"] = "reads session sequence state",
        ["lastval"] = "reads session sequence state",
        // Forces a transaction id: a write in disguise.
        ["txid_current"] = "assigns a transaction id (a write)",
        ["pg_current_xact_id"] = "assigns a transaction id (a write)",
        // Dynamic SQL: the text argument runs as a query the static checks never saw.
        ["query_to_xml"] = "runs a SQL string the validator cannot check",
        ["query_to_xml_and_xmlschema"] = "runs a SQL string the validator cannot check",
        ["query_to_xmlschema"] = "runs a SQL string the validator cannot check",
        ["cursor_to_xml"] = "reads a cursor the validator cannot check",
        ["cursor_to_xmlschema"] = "reads a cursor the validator cannot check",
        ["table_to_xml"] = "reads a whole table by name, bypassing the catalog checks",
        ["table_to_xml_and_xmlschema"] = "reads a whole table by name, bypassing the catalog checks",
        ["schema_to_xml"] = "reads whole schemas, bypassing the catalog checks",
        ["schema_to_xml_and_xmlschema"] = "reads whole schemas, bypassing the catalog checks",
        ["database_to_xml"] = "reads the whole database, bypassing the catalog checks",
        ["database_to_xml_and_xmlschema"] = "reads the whole database, bypassing the catalog checks",
        // Large objects without the lo_ prefix.
        ["loread"] = "reads large objects outside the tenant tables",
        ["lowrite"] = "writes large objects",
    };

    private static readonly (string Prefix, string Reason)[] Prefixes =
    [
        // lo_import/lo_export touch server files; the rest read or write large objects outside RLS.
        ("lo_", "works on large objects (server files, data outside the tenant tables)"),
        // dblink/dblink_exec open connections to other databases (with other credentials).
        ("dblink", "connects to another database"),
        ("pg_ls_", "lists server directories"),
        ("pg_stat_reset", "resets server statistics"),
        ("pg_replication_origin", "changes replication state"),
        ("pg_create_", "creates replication slots or other server objects"),
        ("pg_drop_replication_slot", "drops a replication slot"),
        ("pg_wal_replay_", "controls WAL replay"),
        ("pg_backup_", "controls backups"),
    ];

    /// <summary>pg_advisory_lock, pg_try_advisory_xact_lock_shared, …: locks that outlive the query or block others.</summary>
    private const string AdvisoryReason = "takes advisory locks (can block other sessions)";

    public static string? ReasonFor(string name)
    {
        var n = name.ToLowerInvariant();
        if (Exact.TryGetValue(n, out var reason))
        {
            return reason;
        }
        if (n.StartsWith("pg_", StringComparison.Ordinal) && n.Contains("advisory", StringComparison.Ordinal))
        {
            return AdvisoryReason;
        }
        foreach (var (prefix, r) in Prefixes)
        {
            if (n.StartsWith(prefix, StringComparison.Ordinal))
            {
                return r;
            }
        }
        return null;
    }

    public static IEnumerable<string> ExactNames => Exact.Keys;

    public static IEnumerable<string> PrefixPatterns => Prefixes.Select(p => p.Prefix + "*").Append("pg_*advisory*");
}
