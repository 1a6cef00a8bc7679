using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StrategicAgent.LocalServers;

namespace StrategicAgent.AppHost;

/// <summary>
/// The three servers every service needs, whichever way they were provisioned: connection
/// strings <c>primary</c>, <c>replica</c> (PostgreSQL database <c>strategicagent</c> on each)
/// and <c>messaging</c> (RabbitMQ), plus how the replica's server reaches the primary.
/// <c>replica-reader</c> is the replica again, logged in as <c>sa_reader</c> (not a superuser; it can
/// only become sa_query): what tenant reads use. <c>primary-agent</c> is the primary logged in as
/// <c>sa_agent</c> (the agent's own tables only): what the agent uses as its <c>primary</c>;
/// <c>primary-gateway</c> the primary as <c>sa_gateway</c> (API key lookups only), the gateway's;
/// <c>replica-ml</c> the replica as <c>sa_ml</c> (platform tables read, ml schema), the ml writers'.
/// </summary>
public sealed record Infrastructure(
    InfrastructureMode Mode,
    IResourceBuilder<IResourceWithConnectionString> Primary,
    IResourceBuilder<IResourceWithConnectionString> Replica,
    IResourceBuilder<IResourceWithConnectionString> Messaging,
    string PrimaryHostSeenByReplica,
    int PrimaryPortSeenByReplica)
{
    public required LoginConnections Logins { get; init; }
}

/// <summary>The services' login roles as connection strings (the migrator sets each role's password from them).</summary>
public sealed record LoginConnections(
    IResourceBuilder<IResourceWithConnectionString> ReplicaReader,
    IResourceBuilder<IResourceWithConnectionString> PrimaryAgent,
    IResourceBuilder<IResourceWithConnectionString> PrimaryGateway,
    IResourceBuilder<IResourceWithConnectionString> ReplicaMl);

public static class InfrastructureExtensions
{
    public const string Database = "strategicagent";

    /// <summary>StrategicAgent.Data.LoginRole.Reader / .Agent: connection names and role names (the AppHost does not reference the data library).</summary>
    public const string ReaderConnectionName = "replica-reader";
    public const string ReaderRoleName = "sa_reader";
    public const string AgentConnectionName = "primary-agent";
    public const string AgentRoleName = "sa_agent";
    public const string GatewayConnectionName = "primary-gateway";
    public const string GatewayRoleName = "sa_gateway";
    public const string MlConnectionName = "replica-ml";
    public const string MlRoleName = "sa_ml";

    /// <summary>The four login roles' connection strings, on the primary and the replica as the services reach them.</summary>
    private static LoginConnections AddLoginRoles(this IDistributedApplicationBuilder builder, AppHostSettings s,
        ReferenceExpression primaryHost, ReferenceExpression primaryPort, ReferenceExpression replicaHost, ReferenceExpression replicaPort) =>
        new(builder.AddLoginRole(ReaderConnectionName, ReaderRoleName, s.PostgresReaderPassword, replicaHost, replicaPort),
            builder.AddLoginRole(AgentConnectionName, AgentRoleName, s.PostgresAgentPassword, primaryHost, primaryPort),
            builder.AddLoginRole(GatewayConnectionName, GatewayRoleName, s.PostgresGatewayPassword, primaryHost, primaryPort),
            builder.AddLoginRole(MlConnectionName, MlRoleName, s.PostgresMlPassword, replicaHost, replicaPort));

    /// <summary>A connection string to one server as one of the login roles the migrator gives a password.</summary>
    private static IResourceBuilder<IResourceWithConnectionString> AddLoginRole(
        this IDistributedApplicationBuilder builder, string connectionName, string role, string passwordValue, ReferenceExpression host, ReferenceExpression port)
    {
        // The password is a secret parameter (hidden in the dashboard); the migrator sets it on the role.
        var password = builder.AddParameter(connectionName + "-password", passwordValue, secret: true);
        return builder.AddConnectionString(connectionName, ReferenceExpression.Create(
            $"Host={host};Port={port};Username={role};Password={password.Resource};Database={Database}"));
    }

    /// <summary>PostgreSQL (primary with wal_level=logical, replica) and RabbitMQ as containers.</summary>
    public static Infrastructure AddContainerInfrastructure(this IDistributedApplicationBuilder builder, AppHostSettings s)
    {
        var password = builder.AddParameter("postgres-password", s.PostgresPassword, secret: true);
        var primaryServer = builder.AddPostgres("postgres-primary", password: password, port: s.Ports.Primary)
            .WithArgs("-c", "wal_level=logical", "-c", "max_replication_slots=20", "-c", "max_wal_senders=20")
            .WithDataVolume("strategicagent-primary");
        var replicaServer = builder.AddPostgres("postgres-replica", password: password, port: s.Ports.Replica)
            .WithArgs("-c", "max_logical_replication_workers=8")
            .WithDataVolume("strategicagent-replica");
        var primary = primaryServer.AddDatabase("primary", Database);
        var replica = replicaServer.AddDatabase("replica", Database);
        var messaging = builder.AddRabbitMQ("messaging", port: s.Ports.Amqp).WithDataVolume("strategicagent-rabbitmq");

        var replicaEndpoint = replicaServer.Resource.PrimaryEndpoint;
        var primaryEndpoint = primaryServer.Resource.PrimaryEndpoint;
        var logins = builder.AddLoginRoles(s,
            ReferenceExpression.Create($"{primaryEndpoint.Property(EndpointProperty.Host)}"),
            ReferenceExpression.Create($"{primaryEndpoint.Property(EndpointProperty.Port)}"),
            ReferenceExpression.Create($"{replicaEndpoint.Property(EndpointProperty.Host)}"),
            ReferenceExpression.Create($"{replicaEndpoint.Property(EndpointProperty.Port)}"));

        // Containers share Aspire's network, where a container's alias is its resource name.
        return new Infrastructure(InfrastructureMode.Containers, primary, replica, messaging, "postgres-primary", 5432) { Logins = logins };
    }

    /// <summary>
    /// PostgreSQL and RabbitMQ from the machine's own packages, as executables under
    /// <see cref="AppHostSettings.DataDirectory"/>. Everything that can be wrong (a missing
    /// binary, a taken port, a data directory the postgres user cannot reach, a server still
    /// running on the data directory) is checked here, before anything starts.
    /// </summary>
    public static async Task<Infrastructure> AddLocalInfrastructureAsync(this IDistributedApplicationBuilder builder, AppHostSettings s, bool durable, CancellationToken ct)
    {
        PostgresServer.CheckBinaries(s.PostgresBinDirectory);
        RabbitMqServer.CheckInstalled(s.RabbitMqServerScript);
        NativeProcess.EnsurePortFree(s.Ports.Primary, "the PostgreSQL primary", "StrategicAgent:Ports:Primary");
        NativeProcess.EnsurePortFree(s.Ports.Replica, "the PostgreSQL replica", "StrategicAgent:Ports:Replica");
        NativeProcess.EnsurePortFree(s.Ports.Amqp, "RabbitMQ (AMQP)", "StrategicAgent:Ports:Amqp");
        NativeProcess.EnsurePortFree(s.Ports.RabbitMqDistribution, "RabbitMQ (Erlang distribution)", "StrategicAgent:Ports:RabbitMqDistribution");
        NativeProcess.EnsurePortFree(s.Ports.Epmd, "RabbitMQ (epmd)", "StrategicAgent:Ports:Epmd");
        EnsureReachableByPostgresUser(s.DataDirectory);

        var launchers = Path.Combine(s.RunDirectory, "bin");
        var postgresLauncher = Launchers.WritePostgres(launchers);
        var rabbitLauncher = Launchers.WriteRabbitMq(launchers);

        var primary = await builder.AddLocalPostgresAsync("primary", postgresLauncher, new PostgresServerOptions
        {
            DataDirectory = Path.Combine(s.DataDirectory, "primary"),
            Port = s.Ports.Primary,
            BinDirectory = s.PostgresBinDirectory,
            Password = s.PostgresPassword,
            Database = Database,
            Durable = durable,
            LogicalReplication = true,
        }, ct);
        var replica = await builder.AddLocalPostgresAsync("replica", postgresLauncher, new PostgresServerOptions
        {
            DataDirectory = Path.Combine(s.DataDirectory, "replica"),
            Port = s.Ports.Replica,
            BinDirectory = s.PostgresBinDirectory,
            Password = s.PostgresPassword,
            Database = Database,
            Durable = durable,
            LogicalReplication = false,
        }, ct);
        var messaging = builder.AddLocalRabbitMq("messaging", rabbitLauncher, new RabbitMqServerOptions
        {
            BaseDirectory = Path.Combine(s.DataDirectory, "rabbitmq"),
            Port = s.Ports.Amqp,
            DistributionPort = s.Ports.RabbitMqDistribution,
            EpmdPort = s.Ports.Epmd,
            ServerScript = s.RabbitMqServerScript,
        });

        var localhost = ReferenceExpression.Create($"127.0.0.1");
        var logins = builder.AddLoginRoles(s,
            localhost, ReferenceExpression.Create($"{s.Ports.Primary.ToString(System.Globalization.CultureInfo.InvariantCulture)}"),
            localhost, ReferenceExpression.Create($"{s.Ports.Replica.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));

        return new Infrastructure(InfrastructureMode.Executables, primary, replica, messaging, "127.0.0.1", s.Ports.Primary) { Logins = logins };
    }

    private static async Task<IResourceBuilder<LocalPostgresResource>> AddLocalPostgresAsync(
        this IDistributedApplicationBuilder builder, string name, string launcher, PostgresServerOptions options, CancellationToken ct)
    {
        await PostgresServer.Prepare(options, ct);
        var (file, args) = PostgresServer.ServerArguments(options);
        var resource = new LocalPostgresResource(name, launcher, options.DataDirectory, options);
        var healthKey = name + "-sql";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthKey, async token =>
        {
            try
            {
                await Probes.PostgresAsync(resource.AdminConnectionString, token);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"PostgreSQL '{name}' on port {options.Port} does not answer yet: {ex.Message}");
            }
        });
        return builder.AddResource(resource)
            .WithArgs([file, .. args])
            .WithEndpoint(port: options.Port, targetPort: options.Port, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(healthKey)
            // Started again when it exits by itself; the launcher first clears what a killed server left (Launchers.cs).
            .WithRestartOnExit()
            .WithEnvironment(Launchers.PostgresDataVariable, options.DataDirectory)
            .WithEnvironment(Launchers.PortVariable, options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ExcludeFromManifest();
    }

    private static IResourceBuilder<LocalRabbitMqResource> AddLocalRabbitMq(
        this IDistributedApplicationBuilder builder, string name, string launcher, RabbitMqServerOptions options)
    {
        RabbitMqServer.Prepare(options);
        var resource = new LocalRabbitMqResource(name, launcher, options.BaseDirectory, options);
        var healthKey = name + "-amqp";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthKey, async token =>
        {
            try
            {
                await Probes.AmqpAsync("127.0.0.1", options.Port, token);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"RabbitMQ '{name}' on port {options.Port} does not answer AMQP yet: {ex.Message}");
            }
        });
        var b = builder.AddResource(resource)
            .WithArgs(options.ServerScript)
            .WithEndpoint(port: options.Port, targetPort: options.Port, scheme: "tcp", name: "amqp", isProxied: false)
            .WithHealthCheck(healthKey)
            .WithRestartOnExit()
            .WithEnvironment(Launchers.PortVariable, options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ExcludeFromManifest();
        foreach (var (key, value) in RabbitMqServer.Environment(options))
        {
            b.WithEnvironment(key, value);
        }
        return b;
    }

    /// <summary>
    /// As root, PostgreSQL runs as the postgres user, which must be able to walk down to its data
    /// directory. A checkout under /root (mode 700) is not reachable: say so, with the fix.
    /// </summary>
    private static void EnsureReachableByPostgresUser(string dataDirectory)
    {
        if (!NativeProcess.IsRoot)
        {
            return;
        }
        Directory.CreateDirectory(dataDirectory);
        for (var dir = new DirectoryInfo(dataDirectory).Parent; dir is not null; dir = dir.Parent)
        {
            if (!dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
            {
                throw new InvalidOperationException(
                    $"PostgreSQL runs as the 'postgres' user, which cannot enter '{dir.FullName}' (mode {Convert.ToString((int)dir.UnixFileMode, 8)}) " +
                    $"on the way to its data directory '{dataDirectory}'. Set StrategicAgent:RunDirectory (or SA_RUN_DIR) to a directory " +
                    "under /var/tmp or /tmp, or allow others to enter that directory (chmod o+x).");
            }
        }
    }
}
