using System.Globalization;
using System.Text;
using StrategicAgent.Ml.Models.Anomaly;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>
/// The anomaly model's evaluation without a database (<c>eval-anomaly</c>): simulated prediction logs of three tenants
/// of different volume (half, 30 % and 20 % of the rows, as the training benchmark seeds them), one log per seed, each
/// trained and scored on its injected anomalies exactly as training does; the AUCs per kind are averaged over the
/// seeds, with the served score's worst margin over the per-tenant largest |z| per kind.
/// </summary>
public static class AnomalyEvaluation
{
    /// <summary>The logs end here (fixed, so a run reproduces).</summary>
    public static readonly DateTime End = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    public static string Run(int rows, IReadOnlyList<int> seeds, Action<string>? progress = null)
    {
        var metrics = new List<Dictionary<string, double>>();
        var baselines = new List<Dictionary<string, double>>();
        foreach (var seed in seeds)
        {
            var log = PredictionLogSimulator.GenerateTenants([(1, rows / 2), (2, rows * 3 / 10), (3, rows - rows / 2 - rows * 3 / 10)], End, seed);
            var model = AnomalyModel.Instance.Train(log, new Hyperparameters { Seed = seed });
            metrics.Add(model.Metrics);
            baselines.Add(model.BaselineMetrics);
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"seed {seed}: served AUC {model.Metrics["auc"]:0.000}, largest |z| per tenant {model.BaselineMetrics["max_abs_z_tenant_auc"]:0.000}, one set of statistics {model.BaselineMetrics["max_abs_z_auc"]:0.000}, PCA {model.BaselineMetrics["pca_only_auc"]:0.000}"));
        }
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Simulated prediction logs of {rows:N0} rows (three tenants: 50 / 30 / 20 %), seeds {string.Join(", ", seeds)}; AUC on the injected anomalies of each log's newest 20 %, mean over the seeds."));
        sb.AppendLine();
        sb.Append(AnomalyModel.KindTable(Mean(metrics), Mean(baselines)));
        sb.AppendLine();
        foreach (var kind in AnomalyModel.ReportedKinds)
        {
            var suffix = kind == "" ? "" : "_" + kind;
            var margins = metrics.Select((m, i) => m.GetValueOrDefault("auc" + suffix, double.NaN) - baselines[i].GetValueOrDefault("max_abs_z_tenant_auc" + suffix, double.NaN)).ToList();
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"* {(kind == "" ? "all" : kind)}: served − largest |z| per tenant = {margins.Average():+0.000;-0.000;0.000} on average, {margins.Min():+0.000;-0.000;0.000} at worst over {margins.Count} logs."));
        }
        return sb.ToString();
    }

    private static Dictionary<string, double> Mean(IReadOnlyList<Dictionary<string, double>> runs) =>
        runs.SelectMany(r => r.Keys).Distinct().ToDictionary(k => k, k => runs.Where(r => r.ContainsKey(k)).Average(r => r[k]));
}
