using MassTransit;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Consumers;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.MlTraining.Grpc;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Extensions;

public static class Extensions
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TrainingOptions>().BindConfiguration(TrainingOptions.Section).ValidateDataAnnotations().ValidateOnStart();

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
        return builder;
    }

    /// <summary>
    /// The whole host, in the order every service's follows (defaults → data → messaging → auth → the
    /// service's own → endpoints). Program.cs runs it; tests start that Program (ServiceUnderTest).
    /// </summary>
    public static WebApplication BuildTrainingApp(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.UseServiceEndpoints();
        // Training reads and writes the replica only: there is no primary connection in this service.
        // Ready only when the ml schema answers too (the registry lives there).
        builder.AddReplicaDataSource("ml-training reads features from and writes the registry to the logical replica.",
            probeSql: "SELECT 1 FROM ml.model_versions LIMIT 1", applicationName: "ml-training");
        // Trainers compete for TrainModel on one queue; the broker is in /ready (no training without it).
        builder.AddMessaging(x => x.AddConsumer<TrainModelConsumer, TrainModelConsumerDefinition>());
        builder.AddGrpcDefaults();
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGrpcDefaults();
        app.MapGrpcService<TrainingGrpcService>();
        return app;
    }
}
