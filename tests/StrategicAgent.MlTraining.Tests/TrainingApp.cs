using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StrategicAgent.LocalServers;
using StrategicAgent.MlTraining.Extensions;
using StrategicAgent.Protos.Training.V1;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>
/// The real ml-training host (same wiring as Program.cs) on a free loopback gRPC port, pointed at
/// the fixture's replica only. Messaging in memory unless a RabbitMQ URI is given.
/// </summary>
public sealed class TrainingApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private TrainingApp(WebApplication app, int port)
    {
        _app = app;
        GrpcPort = port;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        Client = new TrainingService.TrainingServiceClient(_channel.AsAdmin(OperatorTenant));
    }

    /// <summary>The tenant of the operator token <see cref="Client"/> calls with.</summary>
    public const long OperatorTenant = 1;

    public GrpcChannel Channel => _channel;

    public IServiceProvider Services => _app.Services;
    public int GrpcPort { get; }
    /// <summary>An operator's client (token scopes query + admin): Train and Deploy are allowed.</summary>
    public TrainingService.TrainingServiceClient Client { get; }

    public static async Task<TrainingApp> StartAsync(string replica, string? rabbitMq = null, IDictionary<string, string?>? settings = null)
    {
        var port = NativeProcess.FreePort();
        // The service's own content root: this test directory also holds the gateway's appsettings.json
        // (StatelessGatewayTests runs the gateway executable), whose fixed port must not apply here.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = GatewayProcess.ServiceDirectory("MlTraining") });
        var config = new Dictionary<string, string?>(TestTokens.ServiceSettings)
        {
            ["ConnectionStrings:replica"] = replica,
            ["ConnectionStrings:messaging"] = rabbitMq,
            ["Messaging:Transport"] = rabbitMq is null ? "InMemory" : "RabbitMq",
            ["Endpoints:GrpcPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Endpoints:HttpPort"] = NativeProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
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
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddGrpcDefaults();
        builder.UseServiceEndpoints();
        builder.AddApplicationServices();
        var app = builder.Build();
        app.MapApplication();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TrainingApp(app, port);
    }

    public AsyncServiceScope Scope() => _app.Services.CreateAsyncScope();

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
