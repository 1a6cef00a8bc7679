using Npgsql;

namespace StrategicAgent.Data;

/// <summary>
/// <c>sa_reader</c>, the replica's login role for tenant reads (migration <c>Replica/0300</c>): not a
/// superuser, no table privilege of its own, a member of <see cref="TenantSession.QueryRole"/>. Its
/// password comes from configuration (<c>ConnectionStrings:replica-reader</c>) and is set by the
/// migrator on every start, so nothing secret is in the repository.
/// </summary>
public static class ReaderRole
{
    public const string Name = "sa_reader";

    /// <summary>The connection name services and the migrator read (<c>ConnectionStrings:replica-reader</c>).</summary>
    public const string ConnectionName = "replica-reader";

    /// <summary>
    /// Sets the role's password (and LOGIN), as a superuser on the replica. The password is sent as a
    /// SCRAM-SHA-256 verifier computed here, so the clear text never reaches the server or its log.
    /// </summary>
    /// <exception cref="ArgumentException">An empty password, or one with characters other than printable ASCII.</exception>
    public static async Task SetPasswordAsync(NpgsqlConnection replicaAdmin, string password, CancellationToken ct)
    {
        var verifier = ScramVerifier(password);
        // ALTER ROLE takes no parameters; the verifier is base64 and '$', ':' only, nothing to escape.
        await using var cmd = new NpgsqlCommand($"ALTER ROLE {Name} WITH LOGIN PASSWORD '{verifier}'", replicaAdmin);
        await cmd.ExecuteNonQueryAsync(ct);
    }

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
            throw new ArgumentException("The reader's password must be printable ASCII (letters, digits, punctuation, space).", nameof(password));
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

    /// <summary>The replica's connection string with the reader's user name and password instead of the admin's.</summary>
    public static string ConnectionString(string replicaConnectionString, string password) =>
        new NpgsqlConnectionStringBuilder(replicaConnectionString) { Username = Name, Password = password }.ConnectionString;
}
