using Npgsql;

namespace StrategicAgent.Data;

/// <summary>
/// A LOGIN role a service uses instead of the <c>postgres</c> superuser. The role is created by a
/// migration without a password (no secret in the repository); its password comes from
/// configuration (<c>ConnectionStrings:&lt;ConnectionName&gt;</c>) and the migrator sets it on every start.
/// </summary>
public sealed class LoginRole
{
    /// <summary>
    /// <c>sa_reader</c>, the replica's login for tenant reads (migration <c>Replica/0300</c>): no table
    /// privilege of its own, a member of <see cref="TenantSession.QueryRole"/>.
    /// </summary>
    public static LoginRole Reader { get; } = new("sa_reader", "replica-reader", DatabaseRole.Replica);

    /// <summary>
    /// <c>sa_agent</c>, the agent's login on the primary (migration <c>Primary/0120</c>): the agent's own
    /// tables (learning memory, conversations) and nothing else.
    /// </summary>
    public static LoginRole Agent { get; } = new("sa_agent", "primary-agent", DatabaseRole.Primary);

    /// <summary>
    /// <c>sa_gateway</c>, the gateway's login on the primary (migration <c>Primary/0130</c>): the columns
    /// of <c>api_keys</c> and <c>clients</c> that resolving a key needs, read-only.
    /// </summary>
    public static LoginRole Gateway { get; } = new("sa_gateway", "primary-gateway", DatabaseRole.Primary);

    /// <summary>
    /// <c>sa_ml</c>, the ml writers' login on the replica (migration <c>Replica/0400</c>): reads the platform
    /// tables of every tenant (to train), reads and writes the <c>ml</c> schema.
    /// </summary>
    public static LoginRole Ml { get; } = new("sa_ml", "replica-ml", DatabaseRole.Replica);

    private LoginRole(string name, string connectionName, DatabaseRole server)
    {
        Name = name;
        ConnectionName = connectionName;
        Server = server;
    }

    public string Name { get; }

    /// <summary>The connection name services and the migrator read (<c>ConnectionStrings:&lt;name&gt;</c>).</summary>
    public string ConnectionName { get; }

    /// <summary>The server the role lives on.</summary>
    public DatabaseRole Server { get; }

    /// <summary>
    /// Sets the role's password (and LOGIN), as a superuser on its server. The password is sent as a
    /// SCRAM-SHA-256 verifier computed here, so the clear text never reaches the server or its log.
    /// </summary>
    /// <exception cref="ArgumentException">An empty password, or one with characters other than printable ASCII.</exception>
    public async Task SetPasswordAsync(NpgsqlConnection admin, string password, CancellationToken ct)
    {
        var verifier = ScramVerifier(password);
        // ALTER ROLE takes no parameters; the name is ours and the verifier is base64 and '$', ':' only, nothing to escape.
        await using var cmd = new NpgsqlCommand($"ALTER ROLE {Name} WITH LOGIN PASSWORD '{verifier}'", admin);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The server's admin connection string with this role's user name and password instead.</summary>
    public string ConnectionString(string adminConnectionString, string password) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Username = Name, Password = password }.ConnectionString;

    /// <summary>
    /// PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, as pg_authid keeps it):
    /// <c>SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey</c>. Printable ASCII only, for which
    /// SASLprep (which the server applies to what clients send) changes nothing.
    /// </summary>
    public static string ScramVerifier(string password, int iterations = 4096)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(password);
        if (password.Any(c => c is < ' ' or > '~'))
        {
            throw new ArgumentException("A login role's password must be printable ASCII (letters, digits, punctuation, space).", nameof(password));
        }
        var salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var salted = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(
            System.Text.Encoding.UTF8.GetBytes(password), salt, iterations, System.Security.Cryptography.HashAlgorithmName.SHA256, 32);
        var clientKey = System.Security.Cryptography.HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = System.Security.Cryptography.SHA256.HashData(clientKey);
        var serverKey = System.Security.Cryptography.HMACSHA256.HashData(salted, "Server Key"u8);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}");
    }

    public override string ToString() => Name;
}
