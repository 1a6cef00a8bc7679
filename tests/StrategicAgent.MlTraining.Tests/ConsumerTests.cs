using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StrategicAgent.Contracts;
using StrategicAgent.Ml;
using StrategicAgent.MlTraining.Consumers;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>The TrainModel consumer over a real RabbitMQ node, the scheduler, and the MassTransit test harness.</summary>
public sealed class ConsumerTests(DemoDataFixture db, RabbitMqFixture rabbit) : IClassFixture<RabbitMqFixture>
{
    private readonly RabbitMqFixture _rabbit = rabbit;

    [Fact]
    public async Task TrainModel_over_RabbitMQ_twice_with_one_request_id_trains_once()
    {
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString, _rabbit.ConnectionString);
        var trained = await Helpers.ListenAsync<ModelTrained>(app);
        var bus = app.Services.GetRequiredService<IBus>();
        var id = "rmq-" + Guid.NewGuid().ToString("N");
        var command = new TrainModel { RequestId = id, ModelName = ModelNames.Trajectory, DeployStrategy = "none", Hyperparameters = new Dictionary<string, string> { ["iterations"] = "60" } };
        await bus.Publish(command, TestContext.Current.CancellationToken);
        await bus.Publish(command, TestContext.Current.CancellationToken);

        await Helpers.WaitUntilAsync(async () =>
            await Helpers.ScalarAsync<string>(db, "SELECT coalesce((SELECT status FROM ml.training_runs WHERE request_id = $1), 'none')", id) == "succeeded",
            TimeSpan.FromSeconds(120), "the training run to succeed");
        await Task.Delay(1500, TestContext.Current.CancellationToken); // let the duplicate be consumed too
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db, "SELECT count(*) FROM ml.model_versions WHERE request_id = $1", id));
        Assert.Single(trained, t => t.RequestId == id);
        Assert.True(trained.Single(t => t.RequestId == id).Succeeded);
    }

    [Fact]
    public async Task Scheduler_records_its_decisions_with_the_numbers_and_publishes_TrainModel_when_due()
    {
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString, settings: new Dictionary<string, string?>
        {
            // Only trajectory is considered, and it is always due (0 days, 0 new rows).
            ["Training:Models:trajectory:MaxAgeDays"] = "0",
            ["Training:Models:trajectory:MinNewRecords"] = "0",
            ["Training:Models:complexity:Scheduled"] = "false",
            ["Training:Models:rework:Scheduled"] = "false",
            ["Training:Models:unified:Scheduled"] = "false",
            ["Training:Models:anomaly:Scheduled"] = "false",
        });
        var commands = await Helpers.ListenAsync<TrainModel>(app);
        var scheduler = app.Services.GetServices<IHostedService>().OfType<RetrainingScheduler>().Single();
        var decisions = await scheduler.EvaluateOnceAsync(TestContext.Current.CancellationToken);
        var d = Assert.Single(decisions);
        Assert.Equal(ModelNames.Trajectory, d.ModelName);
        Assert.True(d.Due, d.Reason);
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db,
            "SELECT count(*) FROM ml.retraining_decisions WHERE request_id = $1 AND due AND min_new_records = 0 AND new_records IS NOT NULL", d.RequestId!));
        await Helpers.WaitUntilAsync(() => Task.FromResult(commands.Any(c => c.RequestId == d.RequestId && c.RequestedBy == "scheduler")),
            TimeSpan.FromSeconds(10), "the scheduler's TrainModel");
        await Helpers.WaitUntilAsync(async () =>
            await Helpers.ScalarAsync<string>(db, "SELECT coalesce((SELECT status FROM ml.training_runs WHERE request_id = $1), 'none')", d.RequestId!) == "succeeded",
            TimeSpan.FromSeconds(120), "the scheduled training");
        Assert.True(await Helpers.ScalarAsync<long>(db, "SELECT count(*) FROM ml.training_data_summary WHERE training_rows > 0") >= 4);
    }

    [Fact]
    public async Task Harness_an_invalid_command_is_answered_with_a_failed_ModelTrained_and_not_retried()
    {
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddMassTransitTestHarness(x => x.AddConsumer<TrainModelConsumer, TrainModelConsumerDefinition>())
            .AddSingleton(Microsoft.Extensions.Options.Options.Create(new StrategicAgent.MlTraining.Domain.TrainingOptions()))
            .AddScoped<StrategicAgent.MlTraining.Domain.TrainingRunner>()
            .AddScoped<StrategicAgent.MlTraining.Domain.DeployService>()
            .AddSingleton<StrategicAgent.MlTraining.Domain.ITrainingStore, StrategicAgent.MlTraining.Data.TrainingStore>()
            .AddSingleton<StrategicAgent.Ml.Training.IFeatureSource, StrategicAgent.MlTraining.Data.FeatureSource>()
            .AddScoped<StrategicAgent.MlTraining.Domain.ITrainingEvents, MassTransitTrainingEvents>()
            .AddSingleton<StrategicAgent.Ml.Registry.ModelRegistryReader>()
            .AddSingleton(Npgsql.NpgsqlDataSource.Create(db.ReplicaMlConnectionString))
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        await harness.Bus.Publish(new TrainModel { RequestId = "bad-1", ModelName = "velocity" }, TestContext.Current.CancellationToken);
        Assert.True(await harness.Consumed.Any<TrainModel>(TestContext.Current.CancellationToken));
        Assert.True(await harness.Published.Any<ModelTrained>(m => m.Context.Message.RequestId == "bad-1" && !m.Context.Message.Succeeded
            && m.Context.Message.FailureReason!.Contains("Unknown model 'velocity'"), TestContext.Current.CancellationToken));
        Assert.False(await harness.Consumed.Any<TrainModel>(m => m.Exception is not null, TestContext.Current.CancellationToken));
    }
}
