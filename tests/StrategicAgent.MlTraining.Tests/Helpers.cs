using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StrategicAgent.Contracts;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

internal static class Helpers
{
    public static async Task<TrainingOutcome> RunAsync(TrainingApp app, string model, DeployStrategy strategy, Dictionary<string, string>? h = null, string? requestId = null)
    {
        await using var scope = app.Scope();
        var runner = scope.ServiceProvider.GetRequiredService<TrainingRunner>();
        return await runner.RunAsync(new TrainingRequest
        {
            RequestId = requestId ?? $"test:{model}:{Guid.NewGuid():N}",
            ModelName = model,
            DeployStrategy = strategy,
            Hyperparameters = h ?? [],
        }, null, TestContext.Current.CancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(DemoDataFixture db, string sql, params object[] args)
    {
        await using var conn = await db.OpenReplicaAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task<long?> DeployedIdAsync(DemoDataFixture db, string model)
    {
        await using var conn = await db.OpenReplicaAsync();
        await using var cmd = new NpgsqlCommand("SELECT id FROM ml.model_versions WHERE model_name = $1 AND status = 'deployed'", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = model });
        return await cmd.ExecuteScalarAsync() as long?;
    }

    /// <summary>Collects events of a type published on the app's bus.</summary>
    public static async Task<List<T>> ListenAsync<T>(TrainingApp app) where T : class
    {
        var list = new List<T>();
        var bus = app.Services.GetRequiredService<IBus>();
        var handle = bus.ConnectReceiveEndpoint("test-" + typeof(T).Name.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..8], e =>
            e.Handler<T>(ctx =>
            {
                lock (list) list.Add(ctx.Message);
                return Task.CompletedTask;
            }));
        await handle.Ready;
        return list;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
    }
}
