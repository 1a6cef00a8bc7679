using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.Ml;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>Each model trains on the Small demo data from the replica and beats its trivial baseline.</summary>
public sealed class ModelQualityTests(DemoDataFixture db)
{
    private async Task<TrainedModel> TrainAsync(string model, Dictionary<string, string>? overrides = null)
    {
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        await using var scope = app.Scope();
        var runner = scope.ServiceProvider.GetRequiredService<TrainingRunner>();
        var h = runner.Validate(new TrainingRequest { RequestId = "quality", ModelName = model, Hyperparameters = overrides ?? [] });
        var trained = await runner.TrainAsync(model, h, null, TestContext.Current.CancellationToken);
        TestContext.Current.SendDiagnosticMessage($"{model}: {trained.Duration.TotalSeconds:0.0} s, rows {trained.TotalRows}\n  metrics  {Show(trained.Metrics)}\n  baseline {Show(trained.BaselineMetrics)}");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "ml-quality.log"), $"{DateTime.UtcNow:O} {model}: {trained.Duration.TotalSeconds:0.0} s, rows {trained.TotalRows}\n  metrics  {Show(trained.Metrics)}\n  baseline {Show(trained.BaselineMetrics)}\n");
        return trained;
    }

    private static string Show(IReadOnlyDictionary<string, double> m) =>
        string.Join(", ", m.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value:0.###}"));

    [Fact]
    public async Task Trajectory_beats_the_best_constant_by_a_clear_margin()
    {
        var m = await TrainAsync(ModelNames.Trajectory);
        Assert.True(m.Metrics["r2"] >= m.BaselineMetrics["r2"] + 0.2, $"R² {m.Metrics["r2"]:0.000} vs baseline {m.BaselineMetrics["r2"]:0.000}");
        Assert.True(m.Metrics["mae"] <= 0.8 * m.BaselineMetrics["mae"]);
    }

    [Fact]
    public async Task Complexity_beats_the_median_by_a_clear_margin()
    {
        var m = await TrainAsync(ModelNames.Complexity);
        Assert.True(m.Metrics["mae"] <= 0.85 * m.BaselineMetrics["median_mae"], $"MAE {m.Metrics["mae"]:0.000} vs median {m.BaselineMetrics["median_mae"]:0.000}");
        Assert.True(m.Metrics["r2"] >= m.BaselineMetrics["r2"] + 0.15);
    }

    [Fact]
    public async Task Rework_beats_the_class_prior()
    {
        var m = await TrainAsync(ModelNames.Rework);
        Assert.True(m.Metrics["auc"] >= 0.65, $"AUC {m.Metrics["auc"]:0.000}");
        Assert.True(m.Metrics["log_loss"] < m.BaselineMetrics["log_loss"]);
        Assert.True(m.Metrics["brier"] < m.BaselineMetrics["brier"]);
    }

    [Fact]
    public async Task Unified_trains_one_model_for_three_targets_and_reports_the_separate_models_next_to_it()
    {
        var m = await TrainAsync(ModelNames.Unified);
        Assert.True(m.Metrics["score"] > m.BaselineMetrics["score"] + 0.1);
        foreach (var k in new[] { "lead_time_r2", "story_points_r2", "rework_auc", "separate_lead_time_r2", "separate_story_points_r2", "separate_rework_auc" })
        {
            Assert.True(m.Metrics.ContainsKey(k), k);
        }
    }

    [Fact]
    public async Task Anomaly_model_separates_injected_anomalies()
    {
        await PredictionLogSeed.EnsureAsync(db);
        var m = await TrainAsync(ModelNames.Anomaly);
        Assert.True(m.Metrics["auc"] >= 0.8, $"AUC {m.Metrics["auc"]:0.000}");
        Assert.True(m.Metrics["false_positive_rate"] <= 0.05);
    }
}
