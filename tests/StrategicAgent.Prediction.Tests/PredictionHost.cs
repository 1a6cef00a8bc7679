using Grpc.Net.Client;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Prediction.Grpc;
using StrategicAgent.Testing;
using PredictionClient = StrategicAgent.Protos.Prediction.V1.PredictionService.PredictionServiceClient;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The prediction service's real Program (<see cref="ServiceUnderTest{TEntryPoint}"/>: WebApplicationFactory on
/// Kestrel) on free loopback ports, with configuration overrides: gRPC over a real socket, the real replica,
/// in-memory or RabbitMQ messaging.
/// </summary>
public sealed class PredictionHost : IAsyncDisposable
{
    private readonly ServiceUnderTest<PredictionGrpcService> _service;
    /// <summary>The spool directory this host made for itself (null when the test passed one), deleted on dispose.</summary>
    private readonly TemporaryDirectory? _ownSpool;

    private PredictionHost(ServiceUnderTest<PredictionGrpcService> service, TemporaryDirectory? ownSpool)
    {
        _service = service;
        _ownSpool = ownSpool;
        Client = ClientFor(DefaultTenant);
    }

    /// <summary>The tenant <see cref="Client"/> calls as.</summary>
    public const long DefaultTenant = PredictionFixture.Acme;

    public int GrpcPort => _service.GrpcPort;
    public GrpcChannel Channel => _service.Channel;
    /// <summary>A client calling as <see cref="DefaultTenant"/> (a caller token with the query scope).</summary>
    public PredictionClient Client { get; }

    /// <summary>A client calling as <paramref name="clientId"/>.</summary>
    public PredictionClient ClientFor(long clientId) => new(Channel.As(clientId));
    public IServiceProvider Services => _service.ServiceProvider;
    public DeployedModels<LoadedModel> Models => Services.GetRequiredService<DeployedModels<LoadedModel>>();
    public PredictionLogQueue Log => Services.GetRequiredService<PredictionLogQueue>();

    /// <summary>The prediction service as the AppHost wires it: ml writes as sa_ml, tenant feature reads as sa_reader.</summary>
    /// <param name="services">Registrations that replace the service's own (<see cref="ServiceUnderTest{T}"/>).</param>
    public static async Task<PredictionHost> StartAsync(PostgresReplicaFixture db, IReadOnlyDictionary<string, string?>? overrides = null,
        CancellationToken ct = default, Action<IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:replica"] = db.ReplicaMlConnectionString,
            ["ConnectionStrings:replica-reader"] = db.ReplicaReaderConnectionString,
            ["Messaging:Transport"] = "InMemory",
            ["Logging:LogLevel:StrategicAgent"] = "Information",
            ["PredictionLog:FlushInterval"] = "00:00:00.050",
        };
        // Each host spools in a directory of its own, deleted with the host, unless a test shares one on purpose.
        var ownSpool = overrides?.ContainsKey("PredictionLog:SpoolDirectory") == true
            ? null
            : new TemporaryDirectory("sa-prediction-spool-");
        settings["PredictionLog:SpoolDirectory"] = ownSpool?.Path;
        foreach (var (k, v) in overrides ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }
        var service = new ServiceUnderTest<PredictionGrpcService>(settings, environment: "Testing", services: services);
        try
        {
            // Starting runs the hosted services' StartAsync synchronously: off the test's thread.
            await Task.Run(service.Start, ct);
        }
        catch
        {
            await service.DisposeAsync();
            ownSpool?.Dispose();
            throw;
        }
        return new PredictionHost(service, ownSpool);
    }

    /// <summary>Waits until the given models are loaded (the refresher loads the deployed versions at start).</summary>
    public async Task WaitForModelsAsync(IEnumerable<string> names, TimeSpan timeout, Func<LoadedModel, bool>? accept = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var wanted = names.ToList();
        while (!Models.Loaded || wanted.Any(n => Models.Find(n) is not { } m || (accept is not null && !accept(m))))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Models not loaded within {timeout}: {string.Join(", ", wanted.Where(n => Models.Find(n) is null))}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until everything handed to the log writer has been written (or given up).</summary>
    public async Task FlushLogAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Log.Pending > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Log.Pending} predictions still pending after {timeout}");
            }
            await Task.Delay(20);
        }
    }

    public Task PublishAsync<T>(T message) where T : class => Services.GetRequiredService<IBus>().Publish(message);

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        _ownSpool?.Dispose();
    }
}
