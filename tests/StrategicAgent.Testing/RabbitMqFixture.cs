using StrategicAgent.LocalServers;
using Xunit;

namespace StrategicAgent.Testing;

/// <summary>A real RabbitMQ node on free ports under a temporary directory.</summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    private RabbitMqServer? _server;
    private string? _root;

    public string ConnectionString => _server?.ConnectionString ?? throw new InvalidOperationException("RabbitMQ has not started.");

    public Uri Uri => new(ConnectionString);

    public async ValueTask InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("sa-rmq-").FullName;
        _server = await RabbitMqServer.StartAsync(new RabbitMqServerOptions
        {
            BaseDirectory = _root,
            Port = NativeProcess.FreePort(),
            DistributionPort = NativeProcess.FreePort(),
            EpmdPort = NativeProcess.FreePort(),
            NodeName = "satest" + Environment.ProcessId,
        }, TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => ScratchServers.StopAsync(_root, _server);
}
