using Aspire.Hosting.ApplicationModel;
using StrategicAgent.LocalServers;

namespace StrategicAgent.AppHost;

/// <summary>A PostgreSQL server run from the machine's own binaries; its connection string names the database.</summary>
public sealed class LocalPostgresResource(string name, string command, string workingDirectory, PostgresServerOptions options)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public PostgresServerOptions Options { get; } = options;

    public string ConnectionString => PostgresServer.BuildConnectionString(Options.Port, Options.Password, Options.Database);

    /// <summary>The maintenance database: exists before the migrator creates <see cref="PostgresServerOptions.Database"/>.</summary>
    public string AdminConnectionString => PostgresServer.BuildConnectionString(Options.Port, Options.Password, "postgres");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{ConnectionString}");
}

/// <summary>A RabbitMQ node run from the machine's own rabbitmq-server.</summary>
public sealed class LocalRabbitMqResource(string name, string command, string workingDirectory, RabbitMqServerOptions options)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public RabbitMqServerOptions Options { get; } = options;

    public string ConnectionString => $"amqp://{Options.User}:{Options.Password}@127.0.0.1:{Options.Port}";

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{ConnectionString}");
}
