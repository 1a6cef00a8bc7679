using System.Globalization;
using Npgsql;

namespace StrategicAgent.Gateway.Pins;

/// <summary>
/// Answers pinned to a tenant's dashboard (table <c>dashboard_pins</c> on the primary, migration
/// <c>Primary/0140</c>), as the gateway's login <c>sa_gateway</c>. Every statement runs in a
/// transaction with <c>app.client_id</c> set to the caller's tenant, so row-level security keeps it on
/// that tenant's rows whatever the SQL says.
/// </summary>
public sealed class PinStore([FromKeyedServices(ReplicaDataSourceExtensions.PrimaryServiceKey)] NpgsqlDataSource primary)
{
    /// <summary>At most this many pins per tenant: a dashboard re-asks every pin when it opens.</summary>
    public const int MaxPinsPerTenant = 50;
    public const int MaxTitleLength = 200;
    public const int MaxQuestions = 10;
    public const int MaxQuestionLength = 1000;

    private const string ListSql = """
        SELECT id, title, questions, created_by, created_at FROM dashboard_pins
        WHERE client_id = $1 ORDER BY id
        """;

    // The count and the insert in one statement: a full dashboard inserts nothing (and returns no row).
    private const string AddSql = """
        INSERT INTO dashboard_pins (client_id, title, questions, created_by)
        SELECT $1, $2, $3, $4
        WHERE (SELECT count(*) FROM dashboard_pins WHERE client_id = $1) < $5
        RETURNING id, title, questions, created_by, created_at
        """;

    private const string DeleteSql = "DELETE FROM dashboard_pins WHERE client_id = $1 AND id = $2";

    public Task<IReadOnlyList<Pin>> ListAsync(long clientId, CancellationToken ct) =>
        InTenantAsync(clientId, async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand(ListSql, conn, tx) { Parameters = { new() { Value = clientId } } };
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var pins = new List<Pin>();
            while (await reader.ReadAsync(ct))
            {
                pins.Add(Read(reader));
            }
            return (IReadOnlyList<Pin>)pins;
        }, ct);

    /// <summary>The new pin, or null when the tenant already has <see cref="MaxPinsPerTenant"/> pins.</summary>
    public Task<Pin?> AddAsync(long clientId, string title, IReadOnlyList<string> questions, string createdBy, CancellationToken ct) =>
        InTenantAsync(clientId, async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand(AddSql, conn, tx)
            {
                Parameters =
                {
                    new() { Value = clientId },
                    new() { Value = title },
                    new() { Value = questions.ToArray() },
                    new() { Value = createdBy },
                    new() { Value = (long)MaxPinsPerTenant },
                },
            };
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? Read(reader) : null;
        }, ct);

    /// <summary>False when the tenant has no pin with this id.</summary>
    public Task<bool> DeleteAsync(long clientId, long id, CancellationToken ct) =>
        InTenantAsync(clientId, async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand(DeleteSql, conn, tx)
            {
                Parameters = { new() { Value = clientId }, new() { Value = id } },
            };
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, ct);

    private async Task<T> InTenantAsync<T>(long clientId, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var conn = await primary.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var set = new NpgsqlCommand("SELECT set_config('app.client_id', $1, true)", conn, tx)
        {
            Parameters = { new() { Value = clientId.ToString(CultureInfo.InvariantCulture) } },
        })
        {
            await set.ExecuteNonQueryAsync(ct);
        }
        var result = await work(conn, tx);
        await tx.CommitAsync(ct);
        return result;
    }

    private static Pin Read(NpgsqlDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetFieldValue<string[]>(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4));
}

/// <param name="Questions">The conversation's questions up to the pinned answer, asked again in order on refresh.</param>
/// <param name="CreatedBy">The prefix of the API key that pinned it.</param>
public sealed record Pin(long Id, string Title, IReadOnlyList<string> Questions, string CreatedBy, DateTimeOffset CreatedAt);
