using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Consumers;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.MlTraining.Grpc;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Extensions;

/// <summary>The <c>Messaging</c> section: which MassTransit transport to use.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>RabbitMq (connection string <c>messaging</c>, an amqp URI) or InMemory (tests, single process).</summary>
    [Required]
    [RegularExpression("^(RabbitMq|InMemory)$", ErrorMessage = "Messaging:Transport must be RabbitMq or InMemory.")]
    public string Transport { get; set; } = "RabbitMq";
}

public static class Extensions
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TrainingOptions>().BindConfiguration(TrainingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Training reads and writes the replica only: there is no primary connection in this service.
        var replica = builder.Configuration.GetConnectionString("replica");
        if (string.IsNullOrWhiteSpace(replica))
        {
            throw new InvalidOperationException("ConnectionStrings:replica is required: ml-training reads features from and writes the registry to the logical replica.");
        }
        services.AddNpgsqlDataSource(replica, b => b.ConnectionStringBuilder.ApplicationName = "ml-training");
        services.AddHealthChecks().AddCheck<ReplicaHealthCheck>("replica", tags: ["ready"]);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ModelRegistryReader>();
        services.AddSingleton<IFeatureSource, FeatureSource>();
        services.AddSingleton<ITrainingStore, TrainingStore>();
        services.AddSingleton<SchedulerStore>();
        services.AddSingleton<HistoryStore>();
        services.AddScoped<ITrainingEvents, MassTransitTrainingEvents>();
        services.AddScoped<DeployService>();
        services.AddScoped<TrainingRunner>();
        // The only way into training: a queued run and its TrainModel command (gRPC callers and the scheduler alike).
        services.AddScoped<ITrainingCommands, MassTransitTrainingCommands>();
        services.AddScoped<TrainingQueue>();
        services.AddHostedService<RetrainingScheduler>();

        var transport = builder.Configuration[$"{MessagingOptions.Section}:Transport"] ?? "RabbitMq";
        services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConsumer<TrainModelConsumer, TrainModelConsumerDefinition>();
            if (transport == "InMemory")
            {
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
            else
            {
                var messaging = builder.Configuration.GetConnectionString("messaging");
                if (string.IsNullOrWhiteSpace(messaging))
                {
                    throw new InvalidOperationException("ConnectionStrings:messaging (amqp://user:password@host:port/vhost) is required with Messaging:Transport=RabbitMq; set Messaging:Transport=InMemory to run without a broker.");
                }
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(new Uri(messaging));
                    cfg.ConfigureEndpoints(context);
                });
            }
        });
        return builder;
    }

    public static WebApplication MapApplication(this WebApplication app)
    {
        app.MapDefaultEndpoints();
        app.MapGrpcDefaults();
        app.MapGrpcService<TrainingGrpcService>();
        return app;
    }

    private sealed class ReplicaHealthCheck(NpgsqlDataSource replica) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var cmd = replica.CreateCommand("SELECT 1 FROM ml.model_versions LIMIT 1");
                await cmd.ExecuteNonQueryAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("The replica (or its ml schema) is unreachable.", e);
            }
        }
    }
}
