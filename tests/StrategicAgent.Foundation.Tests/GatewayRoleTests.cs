using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Testing;
using Xunit;
using static StrategicAgent.Foundation.Tests.ReaderRoleTests;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// The gateway's login on the primary, <c>sa_gateway</c> (migration Primary/0130): it resolves API
/// keys of every tenant — and reads nothing else, writes nothing.
/// </summary>
public sealed class GatewayRoleTests(PostgresReplicaFixture db) : IAsyncLifetime
{
    private const long Tenant = 7_500_001;
    private const long InactiveTenant = 7_500_002;
    private static string? _key;
    private static string? _inactiveTenantKey;

    public ValueTask InitializeAsync() => new(db.OnceAsync(nameof(GatewayRoleTests), async ct =>
    {
        await using var conn = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand(
            $"INSERT INTO clients (id, name, active) VALUES ({Tenant}, 'gateway role', true), ({InactiveTenant}, 'gateway role gone', false)", conn);
        await cmd.ExecuteNonQueryAsync(ct);
        _key = await ApiKeys.CreateAsync(conn, Tenant, "gateway role", [ApiKeyScopes.Query, ApiKeyScopes.Admin], ct);
        _inactiveTenantKey = await ApiKeys.CreateAsync(conn, InactiveTenant, "gateway role", ct);
    }));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Gateway_resolves_keys_of_any_tenant_with_their_scopes_and_not_of_an_inactive_tenant()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = NpgsqlDataSource.Create(db.PrimaryGatewayConnectionString);
        var identity = await ApiKeys.ResolveIdentityAsync(gateway, _key!, ct);
        Assert.NotNull(identity);
        Assert.Equal(Tenant, identity.ClientId);
        Assert.Equal([ApiKeyScopes.Query, ApiKeyScopes.Admin], identity.Scopes);
        Assert.Null(await ApiKeys.ResolveIdentityAsync(gateway, _inactiveTenantKey!, ct));
        Assert.Null(await ApiKeys.ResolveIdentityAsync(gateway, "sa_not-a-key", ct));
    }

    [Fact]
    public async Task Gateway_is_an_ordinary_login_that_reads_no_more_than_the_lookup_and_writes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await OpenAsync(db.PrimaryGatewayConnectionString, ct);
        Assert.Equal(LoginRole.Gateway.Name, await ScalarAsync(conn, null, "SELECT current_user", ct));
        Assert.Equal(false, await ScalarAsync(conn, null, "SELECT rolsuper OR rolbypassrls OR rolinherit FROM pg_roles WHERE rolname = current_user", ct));
        foreach (var sql in new[]
        {
            "SELECT * FROM api_keys",
            "SELECT name FROM api_keys",
            "SELECT key_prefix FROM api_keys",
            "SELECT name FROM clients",
            "SELECT count(*) FROM issues",
            "SELECT count(*) FROM ai_learning_memory",
            "SELECT count(*) FROM agent_conversations",
            "UPDATE api_keys SET active = true",
            "INSERT INTO api_keys (client_id, name, key_hash, key_prefix) VALUES (7500001, 'x', 'x', 'x')",
            "DELETE FROM clients",
            "CREATE TEMP TABLE gateway_was_here (id int)",
            "SET ROLE postgres",
            "SET ROLE sa_query",
            "COPY (SELECT 1) TO PROGRAM 'true'",
        })
        {
            await AssertRefusedAsync(conn, null, sql, ct);
        }
    }
}
