using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Migrator;

/// <summary>Everything the migrator needs; bound from configuration and validated on start.</summary>
public sealed class MigratorOptions : IValidatableObject
{
    /// <summary><c>ConnectionStrings:primary</c>.</summary>
    [Required(ErrorMessage = "ConnectionStrings:primary is missing: the migrator needs the primary PostgreSQL database.")]
    public string? PrimaryConnectionString { get; set; }

    /// <summary><c>ConnectionStrings:replica</c>.</summary>
    [Required(ErrorMessage = "ConnectionStrings:replica is missing: the migrator needs the replica PostgreSQL database.")]
    public string? ReplicaConnectionString { get; set; }

    /// <summary>
    /// <c>ConnectionStrings:replica-reader</c>: the replica as <c>sa_reader</c>, the login role of tenant
    /// reads. When set, the migrator gives the role this password on every start; when absent, the
    /// role keeps whatever password it has (none after the migration: it cannot log in).
    /// </summary>
    public string? ReaderConnectionString { get; set; }

    /// <summary>
    /// <c>ConnectionStrings:primary-agent</c>: the primary as <c>sa_agent</c>, the agent's login. When set,
    /// the migrator gives the role this password on every start (as for the reader).
    /// </summary>
    public string? AgentConnectionString { get; set; }

    /// <summary><c>ConnectionStrings:primary-gateway</c>: the primary as <c>sa_gateway</c>, the gateway's login (as above).</summary>
    public string? GatewayConnectionString { get; set; }

    /// <summary><c>ConnectionStrings:replica-ml</c>: the replica as <c>sa_ml</c>, the ml writers' login (as above).</summary>
    public string? MlConnectionString { get; set; }

    /// <summary>Each login role with its configured connection string (null when not configured).</summary>
    public IEnumerable<(StrategicAgent.Data.LoginRole Role, string? ConnectionString)> LoginRoles()
    {
        yield return (StrategicAgent.Data.LoginRole.Reader, ReaderConnectionString);
        yield return (StrategicAgent.Data.LoginRole.Agent, AgentConnectionString);
        yield return (StrategicAgent.Data.LoginRole.Gateway, GatewayConnectionString);
        yield return (StrategicAgent.Data.LoginRole.Ml, MlConnectionString);
    }

    /// <summary><c>ConnectionStrings:messaging</c>, shown in run-info only.</summary>
    public string? MessagingConnectionString { get; set; }

    [Required]
    public ReplicationSettings Replication { get; set; } = new();

    [Required]
    public DemoDataSettings DemoData { get; set; } = new();

    [Required]
    public RunInfoSettings RunInfo { get; set; } = new();

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Migrator:InitialSyncTimeout must be between 1 s and 1 h.")]
    public TimeSpan InitialSyncTimeout { get; set; } = TimeSpan.FromMinutes(2);

    [Range(typeof(TimeSpan), "00:00:01", "02:00:00", ErrorMessage = "Migrator:CatchUpTimeout must be between 1 s and 2 h.")]
    public TimeSpan CatchUpTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>DataAnnotations does not descend into nested objects: validate them here.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = new List<ValidationResult>();
        foreach (var nested in new object[] { Replication, DemoData, RunInfo })
        {
            Validator.TryValidateObject(nested, new ValidationContext(nested), results, validateAllProperties: true);
        }
        foreach (var (name, value) in new[] { ("primary", PrimaryConnectionString), ("replica", ReplicaConnectionString) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }
            try
            {
                var csb = new Npgsql.NpgsqlConnectionStringBuilder(value);
                if (string.IsNullOrWhiteSpace(csb.Host) || string.IsNullOrWhiteSpace(csb.Database))
                {
                    results.Add(new ValidationResult($"ConnectionStrings:{name} must name a Host and a Database."));
                }
            }
            catch (ArgumentException ex)
            {
                results.Add(new ValidationResult($"ConnectionStrings:{name} is not a valid PostgreSQL connection string: {ex.Message}"));
            }
        }
        foreach (var (role, value) in LoginRoles())
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }
            try
            {
                var csb = new Npgsql.NpgsqlConnectionStringBuilder(value);
                if (csb.Username != role.Name)
                {
                    results.Add(new ValidationResult($"ConnectionStrings:{role.ConnectionName} must log in as {role.Name} (Username={role.Name}), not '{csb.Username}'."));
                }
                if (string.IsNullOrWhiteSpace(csb.Password) || csb.Password.Any(c => c is < ' ' or > '~'))
                {
                    results.Add(new ValidationResult($"ConnectionStrings:{role.ConnectionName} needs a Password of printable ASCII characters: the migrator sets it as {role.Name}'s password."));
                }
            }
            catch (ArgumentException ex)
            {
                results.Add(new ValidationResult($"ConnectionStrings:{role.ConnectionName} is not a valid PostgreSQL connection string: {ex.Message}"));
            }
        }
        return results;
    }
}

/// <summary>How the replica's server reaches the primary (section <c>Replication</c>).</summary>
public sealed class ReplicationSettings
{
    /// <summary>Host as the replica's server sees it: 127.0.0.1 for local processes, the primary container's alias for containers. Default: the primary connection string's host.</summary>
    public string? PrimaryHost { get; set; }

    [Range(1, 65535, ErrorMessage = "Replication:PrimaryPort must be a TCP port (1-65535).")]
    public int? PrimaryPort { get; set; }

    /// <summary>
    /// Who creates the replica's subscription: the migrator (default: local runs, the AppHost), or
    /// something else (<c>External</c>: the CloudNativePG <c>Subscription</c> resource on Kubernetes),
    /// in which case the migrator only waits for it to appear and finish its initial sync.
    /// </summary>
    [EnumDataType(typeof(SubscriptionOwner), ErrorMessage = "Replication:Subscription must be Migrator or External.")]
    public SubscriptionOwner Subscription { get; set; } = SubscriptionOwner.Migrator;
}

/// <summary>Who creates the replica's subscription <c>sa_platform_sub</c> (<see cref="ReplicationSettings.Subscription"/>).</summary>
public enum SubscriptionOwner
{
    /// <summary>The migrator creates it, or points an existing one at the primary's current address.</summary>
    Migrator,

    /// <summary>Declared outside (CloudNativePG <c>Subscription</c>); the migrator waits for it, within Migrator:InitialSyncTimeout.</summary>
    External,
}

/// <summary>Section <c>DemoData</c>: loaded only into an empty primary.</summary>
public sealed class DemoDataSettings
{
    [AllowedValues("None", "Small", "Medium", "Large", ErrorMessage = "DemoData:Size must be None, Small, Medium or Large.")]
    public string Size { get; set; } = "Medium";

    public int? Seed { get; set; }
}

/// <summary>Section <c>RunInfo</c>: what the run command prints.</summary>
public sealed class RunInfoSettings
{
    /// <summary>run-info.json; not written when empty.</summary>
    public string? Path { get; set; }

    /// <summary>
    /// Where the demo API keys live in clear (keys are stored hashed, so this file is the only
    /// copy). Kept next to the data so a re-run shows the same keys. No demo keys when empty.
    /// </summary>
    public string? ApiKeysPath { get; set; }

    public string? DashboardUrl { get; set; }
    public string? GatewayUrl { get; set; }
    public string? WebUrl { get; set; }
    public string? Mode { get; set; }
}
