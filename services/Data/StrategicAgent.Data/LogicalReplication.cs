using Npgsql;

namespace StrategicAgent.Data;

/// <summary>
/// The replica is a logical-replication subscriber of the primary: publication <c>sa_platform</c>
/// on the primary (created by its migrations), the same schema on the replica (DDL is not
/// replicated), then a subscription. Sequences are not replicated either: the platform tables
/// use explicit ids, so nothing depends on them on the replica.
/// </summary>
public static class LogicalReplication
{
    public const string PublicationName = "sa_platform";
    public const string SubscriptionName = "sa_platform_sub";

    /// <summary>
    /// Creates the subscription on the replica if it does not exist. <paramref name="primaryConnInfo"/>
    /// is the primary as the replica's server sees it (libpq key=value form).
    /// </summary>
    public static async Task EnsureSubscriptionAsync(string replicaConnectionString, string primaryConnInfo, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(replicaConnectionString);
        await conn.OpenAsync(ct);
        await using var check = new NpgsqlCommand("SELECT 1 FROM pg_subscription WHERE subname = $1", conn)
        {
            Parameters = { new() { Value = SubscriptionName } },
        };
        if (await check.ExecuteScalarAsync(ct) is not null)
        {
            return;
        }
        // CREATE SUBSCRIPTION takes no parameters; the conninfo is quoted as a literal.
        var literal = "'" + primaryConnInfo.Replace("'", "''", StringComparison.Ordinal) + "'";
        await using var create = new NpgsqlCommand(
            $"CREATE SUBSCRIPTION {SubscriptionName} CONNECTION {literal} PUBLICATION {PublicationName}", conn);
        await create.ExecuteNonQueryAsync(ct);
    }

    /// <summary>libpq conninfo for a primary reachable at host:port.</summary>
    public static string ConnInfo(string host, int port, string user, string password, string database) =>
        $"host={host} port={port} user={user} password={password} dbname={database}";

    /// <summary>Waits until every subscribed table finished its initial copy.</summary>
    public static async Task WaitForInitialSyncAsync(string replicaConnectionString, TimeSpan timeout, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(replicaConnectionString);
        await conn.OpenAsync(ct);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var cmd = new NpgsqlCommand(
                """
                SELECT count(*) FILTER (WHERE sr.srsubstate <> 'r'), count(*)
                FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid
                WHERE s.subname = $1
                """, conn) { Parameters = { new() { Value = SubscriptionName } } };
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                if (r.GetInt64(0) == 0 && r.GetInt64(1) > 0)
                {
                    return;
                }
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The replica's subscription '{SubscriptionName}' did not finish its initial sync within {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(100, ct);
        }
    }

    /// <summary>
    /// Waits until the replica has applied everything the primary had committed when called
    /// (the slot's confirmed flush position passes the primary's WAL insert position).
    /// </summary>
    /// <remarks>
    /// The insert position, not <c>pg_current_wal_lsn()</c>: that is the <em>written</em> position, which
    /// with <c>synchronous_commit = off</c> (the throw-away servers of tests and benches) can still be
    /// behind a commit that has already returned, so the wait could end before the row was even sent.
    /// An insert position just past a page header (no record on that page yet) is taken back to the
    /// page boundary, where the last record ended and where the walsender's position stops.
    /// </remarks>
    public static async Task WaitForCatchUpAsync(string primaryConnectionString, TimeSpan timeout, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(primaryConnectionString);
        await conn.OpenAsync(ct);
        await using var lsnCmd = new NpgsqlCommand(
            """
            SELECT (CASE WHEN o <= 40 THEN l - o ELSE l END)::text
            FROM (SELECT l, pg_wal_lsn_diff(l, '0/0') % current_setting('wal_block_size')::int AS o
                  FROM (SELECT pg_current_wal_insert_lsn() AS l) i) p
            """, conn);
        var target = (string)(await lsnCmd.ExecuteScalarAsync(ct))!;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT coalesce(bool_and(confirmed_flush_lsn >= $1::pg_lsn), false) FROM pg_replication_slots WHERE slot_name = $2",
                conn) { Parameters = { new() { Value = target }, new() { Value = SubscriptionName } } };
            if (await cmd.ExecuteScalarAsync(ct) is true)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The replica did not catch up to {target} within {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Replication lag as the primary sees it (bytes and time since the last reply), or null when no subscriber is connected.</summary>
    public static async Task<(long Bytes, TimeSpan? ReplyAge)?> LagAsync(NpgsqlConnection primary, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(flush_lsn, sent_lsn))::bigint,
                   extract(epoch FROM now() - reply_time)
            FROM pg_stat_replication WHERE application_name = $1
            """, primary) { Parameters = { new() { Value = SubscriptionName } } };
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        return (r.GetInt64(0), r.IsDBNull(1) ? null : TimeSpan.FromSeconds(r.GetDouble(1)));
    }
}
