using System.Net;
using Npgsql;
using StrategicAgent.Gateway.Pins;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

/// <summary>
/// /api/v1/pins on the real primary as sa_gateway: a tenant's pins are its own (by the key, and by
/// row-level security under the gateway's login), bad bodies are 400s that name the field, a full
/// dashboard is a 409; /api/v1/me says who a key is.
/// </summary>
public sealed class PinsTests(GatewayFixture fx)
{
    [Fact]
    public async Task A_pin_is_listed_for_its_tenant_only_and_unpinned_by_it_only()
    {
        using var a = fx.Gateway.Client(fx.KeyA);
        using var b = fx.Gateway.Client(fx.KeyB);

        var created = await a.PostJsonAsync("api/v1/pins",
            """{"title": "Rework by repository", "questions": ["rework rate by repository this year", " and for last quarter? "]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var pin = await created.ReadJsonAsync();
        var id = pin.GetProperty("id").GetInt64();
        Assert.Equal($"/api/v1/pins/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("Rework by repository", pin.GetProperty("title").GetString());
        Assert.Equal(["rework rate by repository this year", "and for last quarter?"],
            pin.GetProperty("questions").EnumerateArray().Select(q => q.GetString()));
        Assert.StartsWith("api-key sa_", pin.GetProperty("created_by").GetString());

        var listed = await (await a.GetAsync("api/v1/pins", TestContext.Current.CancellationToken)).ReadJsonAsync();
        Assert.Contains(listed.GetProperty("pins").EnumerateArray(), p => p.GetProperty("id").GetInt64() == id);
        var other = await (await b.GetAsync("api/v1/pins", TestContext.Current.CancellationToken)).ReadJsonAsync();
        Assert.DoesNotContain(other.GetProperty("pins").EnumerateArray(), p => p.GetProperty("id").GetInt64() == id);

        // Another tenant cannot unpin it: 404, and it is still there.
        await (await b.DeleteAsync($"api/v1/pins/{id}", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"api/v1/pins/{id}", TestContext.Current.CancellationToken)).StatusCode);
        await (await a.DeleteAsync($"api/v1/pins/{id}", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.NotFound);
        listed = await (await a.GetAsync("api/v1/pins", TestContext.Current.CancellationToken)).ReadJsonAsync();
        Assert.DoesNotContain(listed.GetProperty("pins").EnumerateArray(), p => p.GetProperty("id").GetInt64() == id);
    }

    [Theory]
    [InlineData("""{"questions": ["q"]}""", "title")]
    [InlineData("""{"title": "  ", "questions": ["q"]}""", "title")]
    [InlineData("""{"title": "t"}""", "questions")]
    [InlineData("""{"title": "t", "questions": []}""", "questions")]
    [InlineData("""{"title": "t", "questions": ["ok", " "]}""", "questions[1]")]
    [InlineData("""{"title": "t", "questions": ["ok", null]}""", "questions[1]")]
    public async Task A_bad_pin_is_a_400_naming_the_field(string body, string field)
    {
        using var a = fx.Gateway.Client(fx.KeyA);
        var problem = await (await a.PostJsonAsync("api/v1/pins", body)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task A_full_dashboard_is_a_409_that_says_to_unpin_first()
    {
        var ct = TestContext.Current.CancellationToken;
        using var b = fx.Gateway.Client(fx.KeyB);
        var ids = new List<long>();
        // Other tests of this class may have left a pin of tenant B: fill up what is left.
        var existing = (await (await b.GetAsync("api/v1/pins", ct)).ReadJsonAsync()).GetProperty("pins").GetArrayLength();
        try
        {
            for (var i = existing; i < PinStore.MaxPinsPerTenant; i++)
            {
                var r = await b.PostJsonAsync("api/v1/pins", $$"""{"title": "pin {{i}}", "questions": ["issues created by week"]}""");
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);
                ids.Add((await r.ReadJsonAsync()).GetProperty("id").GetInt64());
            }
            var full = await (await b.PostJsonAsync("api/v1/pins", """{"title": "one more", "questions": ["q"]}"""))
                .AssertProblemAsync(HttpStatusCode.Conflict);
            Assert.Contains("Unpin one first", full.Detail());
        }
        finally
        {
            foreach (var id in ids)
            {
                await b.DeleteAsync($"api/v1/pins/{id}", ct);
            }
        }
    }

    [Fact]
    public async Task Under_the_gateway_login_row_level_security_keeps_a_statement_on_the_tenant_set_for_it()
    {
        var ct = TestContext.Current.CancellationToken;
        using (var a = fx.Gateway.Client(fx.KeyA))
        using (var b = fx.Gateway.Client(fx.KeyB))
        {
            Assert.Equal(HttpStatusCode.Created, (await a.PostJsonAsync("api/v1/pins", """{"title": "A's", "questions": ["q"]}""")).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await b.PostJsonAsync("api/v1/pins", """{"title": "B's", "questions": ["q"]}""")).StatusCode);
        }

        await using var conn = new NpgsqlConnection(fx.PrimaryGatewayConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var set = new NpgsqlCommand($"SELECT set_config('app.client_id', '{GatewayFixture.TenantA}', true)", conn, tx))
        {
            await set.ExecuteNonQueryAsync(ct);
        }
        // No client_id filter: RLS alone decides.
        await using (var all = new NpgsqlCommand("SELECT DISTINCT client_id FROM dashboard_pins", conn, tx))
        {
            var tenants = new List<long>();
            await using var reader = await all.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                tenants.Add(reader.GetInt64(0));
            }
            Assert.Equal([GatewayFixture.TenantA], tenants);
        }
        await using (var foreign = new NpgsqlCommand(
            $"INSERT INTO dashboard_pins (client_id, title, questions, created_by) VALUES ({GatewayFixture.TenantB}, 'x', ARRAY['q'], 'test')", conn, tx))
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => foreign.ExecuteNonQueryAsync(ct));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ex.SqlState); // new row violates row-level security policy
        }
        await tx.RollbackAsync(ct);

        await using var update = new NpgsqlCommand("UPDATE dashboard_pins SET title = 'x'", conn);
        var denied = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync(ct));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
    }

    [Fact]
    public async Task Me_says_the_keys_tenant_scopes_and_prefix_and_401_for_a_revoked_key()
    {
        using (var a = fx.Gateway.Client(fx.KeyA))
        {
            var me = await (await a.GetAsync("api/v1/me", TestContext.Current.CancellationToken)).ReadJsonAsync();
            Assert.Equal(GatewayFixture.TenantA, me.GetProperty("client_id").GetInt64());
            Assert.Equal(["query"], me.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
            Assert.Equal(fx.KeyA[..8], me.GetProperty("key_prefix").GetString());
        }
        using (var admin = fx.Gateway.Client(fx.AdminKey))
        {
            var me = await (await admin.GetAsync("api/v1/me", TestContext.Current.CancellationToken)).ReadJsonAsync();
            Assert.Equal(["admin", "query"], me.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        }
        using var revoked = fx.Gateway.Client(fx.RevokedKey);
        await (await revoked.GetAsync("api/v1/me", TestContext.Current.CancellationToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }
}
