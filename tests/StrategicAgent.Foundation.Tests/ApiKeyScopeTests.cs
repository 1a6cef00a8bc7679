using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Migrator;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// api_keys.scopes (migration 0006) on the real primary and replica, and the operator's way to get
/// a key with the admin scope: the migrator's <c>create-api-key</c> command.
/// </summary>
public sealed class ApiKeyScopeTests(PostgresReplicaFixture db) : IAsyncLifetime
{
    private const long Tenant = 7_200_001;
    private const long InactiveTenant = 7_200_002;

    public ValueTask InitializeAsync() => new(db.OnceAsync(nameof(ApiKeyScopeTests), async ct =>
    {
        await using var conn = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand(
            $"INSERT INTO clients (id, name, active) VALUES ({Tenant}, 'Scopes', true), ({InactiveTenant}, 'Scopes gone', false)", conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }));

    private readonly List<string> _tempFiles = [];

    public ValueTask DisposeAsync()
    {
        foreach (var f in _tempFiles)
        {
            File.Delete(f);
        }
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Keys_get_query_by_default_and_admin_only_when_asked_and_the_replica_receives_the_scopes()
    {
        var ct = TestContext.Current.CancellationToken;
        string plain, admin;
        await using (var conn = await db.OpenPrimaryAsync(ct))
        {
            plain = await ApiKeys.CreateAsync(conn, Tenant, "plain", ct);
            admin = await ApiKeys.CreateAsync(conn, Tenant, "admin", [ApiKeyScopes.Admin, "QUERY", ApiKeyScopes.Admin], ct);
        }
        await using var primary = NpgsqlDataSource.Create(db.PrimaryConnectionString);
        Assert.Equal([ApiKeyScopes.Query], (await ApiKeys.ResolveIdentityAsync(primary, plain, ct))!.Scopes);
        var adminIdentity = (await ApiKeys.ResolveIdentityAsync(primary, admin, ct))!;
        Assert.Equal([ApiKeyScopes.Query, ApiKeyScopes.Admin], adminIdentity.Scopes);
        Assert.True(adminIdentity.Has(ApiKeyScopes.Admin));
        Assert.Equal(Tenant, await ApiKeys.ResolveAsync(primary, admin, ct));

        // api_keys is published: the replica's copy has the column (0006 is a Shared migration) and the values.
        await db.WaitForReplicaAsync(ct);
        await using var replica = await db.OpenReplicaAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT scopes FROM api_keys WHERE key_hash = $1", replica) { Parameters = { new() { Value = ApiKeys.Hash(admin) } } };
        Assert.Equal(["query", "admin"], (string[])(await cmd.ExecuteScalarAsync(ct))!);
    }

    [Fact]
    public async Task Unknown_or_empty_scopes_are_refused_by_the_code_and_by_the_table()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenPrimaryAsync(ct);
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => ApiKeys.CreateAsync(conn, Tenant, "x", ["query", "root"], ct));
        Assert.Contains("Unknown API key scope 'root'", unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => ApiKeys.CreateAsync(conn, Tenant, "x", [], ct));

        foreach (var scopes in new[] { "{root}", "{}" })
        {
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO api_keys (client_id, name, key_hash, key_prefix, scopes) VALUES ({Tenant}, 'bad', md5(random()::text), 'sa_xxxxx', '{scopes}')", conn);
            var ex = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync(ct));
            Assert.Equal(PostgresErrorCodes.CheckViolation, ex.SqlState);
        }
    }

    [Fact]
    public async Task Create_api_key_command_prints_only_the_key_and_the_key_has_the_admin_scope()
    {
        var ct = TestContext.Current.CancellationToken;
        var runInfo = await RunInfoAsync(ct);
        var (exit, stdout, stderr) = await RunAsync(["--client", Tenant.ToString(System.Globalization.CultureInfo.InvariantCulture), "--admin", "--run-info", runInfo], ct);

        Assert.True(exit == 0, stderr);
        var key = stdout.Trim();
        Assert.StartsWith(ApiKeys.Prefix, key, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', key);
        Assert.Contains("scope(s) query, admin", stderr, StringComparison.Ordinal);
        await using var primary = NpgsqlDataSource.Create(db.PrimaryConnectionString);
        var identity = (await ApiKeys.ResolveIdentityAsync(primary, key, ct))!;
        Assert.Equal(Tenant, identity.ClientId);
        Assert.True(identity.Has(ApiKeyScopes.Admin));
        await using var name = primary.CreateCommand("SELECT name FROM api_keys WHERE key_hash = $1");
        name.Parameters.Add(new NpgsqlParameter { Value = ApiKeys.Hash(key) });
        Assert.Equal("operator", await name.ExecuteScalarAsync(ct));
    }

    [Theory]
    [InlineData(new[] { "--admin" }, 2, "--client is required")]
    [InlineData(new[] { "--client", "abc" }, 2, "positive tenant id")]
    [InlineData(new[] { "--client", "1", "--scopes", "query,root" }, 2, "Unknown API key scope 'root'")]
    [InlineData(new[] { "--client", "1", "--admin", "--scopes", "query" }, 2, "either --admin or --scopes")]
    [InlineData(new[] { "--client", "1", "--frobnicate" }, 2, "Unknown argument '--frobnicate'")]
    [InlineData(new[] { "--client", "7299999" }, 1, "There is no tenant 7299999")]
    [InlineData(new[] { "--client", "7200002" }, 1, "Tenant 7200002 is inactive")]
    public async Task Create_api_key_command_refuses_bad_input_with_a_reason_and_creates_nothing(string[] args, int expectedExit, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        var runInfo = await RunInfoAsync(ct);
        var (exit, stdout, stderr) = await RunAsync([.. args, "--run-info", runInfo], ct);
        Assert.Equal(expectedExit, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Create_api_key_command_without_a_primary_says_where_to_configure_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var (exit, _, stderr) = await RunAsync(["--client", "1", "--run-info", Path.Combine(Path.GetTempPath(), "no-such-run-info.json")], ct);
        Assert.Equal(2, exit);
        Assert.Contains("start the system first", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrator_process_runs_the_command_with_the_primary_from_the_environment()
    {
        var ct = TestContext.Current.CancellationToken;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "StrategicAgent.Migrator.dll"), ApiKeyCommand.Name, "--client", Tenant.ToString(System.Globalization.CultureInfo.InvariantCulture), "--scopes", "query" })
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["ConnectionStrings__primary"] = db.PrimaryConnectionString;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);

        Assert.True(p.ExitCode == 0, await stderr);
        await using var primary = NpgsqlDataSource.Create(db.PrimaryConnectionString);
        var identity = (await ApiKeys.ResolveIdentityAsync(primary, (await stdout).Trim(), ct))!;
        Assert.Equal([ApiKeyScopes.Query], identity.Scopes);
    }

    private async Task<string> RunInfoAsync(CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sa-scopes-run-info-{Guid.NewGuid():N}.json");
        _tempFiles.Add(path);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { connectionStrings = new { primary = db.PrimaryConnectionString } }), ct);
        return path;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, CancellationToken ct)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await ApiKeyCommand.RunAsync(args, stdout, stderr, ct);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
