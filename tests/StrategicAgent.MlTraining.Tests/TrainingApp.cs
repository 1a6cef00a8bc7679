using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.MlTraining.Grpc;
using StrategicAgent.Protos.Training.V1;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>
/// The ml-training service's real Program (<see cref="ServiceUnderTest{TEntryPoint}"/>: WebApplicationFactory on
/// Kestrel, its own content root and appsettings.json) on free loopback ports, pointed at the fixture's replica
/// only. Messaging in memory unless a RabbitMQ URI is given.
/// </summary>
public sealed class TrainingApp : IAsyncDisposable
{
    private readonly ServiceUnderTest<TrainingGrpcService> _service;

    private TrainingApp(ServiceUnderTest<TrainingGrpcService> service)
    {
        _service = service;
        Client = new TrainingService.TrainingServiceClient(Channel.AsAdmin(OperatorTenant));
    }

    /// <summary>The tenant of the operator token <see cref="Client"/> calls with.</summary>
    public const long OperatorTenant = 1;

    public GrpcChannel Channel => _service.Channel;

    public IServiceProvider Services => _service.ServiceProvider;
    public int GrpcPort => _service.GrpcPort;
    /// <summary>An operator's client (token scopes query + admin): Train and Deploy are allowed.</summary>
    public TrainingService.TrainingServiceClient Client { get; }

    public static async Task<TrainingApp> StartAsync(string replica, string? rabbitMq = null, IDictionary<string, string?>? settings = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:replica"] = replica,
            ["ConnectionStrings:messaging"] = rabbitMq,
            ["Messaging:Transport"] = rabbitMq is null ? "InMemory" : "RabbitMq",
            ["Training:SchedulerEnabled"] = "false",
            // The streaming Train follows its run's row: read it often in tests.
            ["Training:RunPollInterval"] = "00:00:00.050",
            // Small, fast models for tests.
            ["Training:Models:trajectory:Hyperparameters:iterations"] = "150",
            ["Training:Models:complexity:Hyperparameters:iterations"] = "120",
            ["Training:Models:complexity:Hyperparameters:max_rows"] = "12000",
            ["Training:Models:rework:Hyperparameters:iterations"] = "150",
            ["Training:Models:unified:Hyperparameters:iterations"] = "150",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }
        var service = new ServiceUnderTest<TrainingGrpcService>(config, environment: "Development");
        try
        {
            // Starting runs the hosted services' StartAsync synchronously: off the test's thread.
            await Task.Run(service.Start, TestContext.Current.CancellationToken);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
        return new TrainingApp(service);
    }

    public AsyncServiceScope Scope() => _service.ServiceProvider.CreateAsyncScope();

    public ValueTask DisposeAsync() => _service.DisposeAsync();
}
