using StrategicAgent.Ml.Models.Anomaly;
using StrategicAgent.Ml.Training;
using StrategicAgent.MlTraining.Domain;
using Xunit;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>
/// The served anomaly score earns its place next to the trivial scorer: on a simulated three-tenant log with injected
/// point, step, drift and burst anomalies it ranks them clearly better than the largest |z| with the same per-tenant
/// statistics overall and on the anomalies that no single entry shows (drift, burst; a step no worse), and no worse on the
/// single out-of-range entries. No database: the model trains on the log in memory, as training does after the read.
/// </summary>
public sealed class AnomalyEvaluationTests
{
    [Fact]
    public void Served_score_beats_the_per_tenant_largest_z_on_context_anomalies_and_keeps_up_on_point_ones()
    {
        var log = PredictionLogSimulator.GenerateTenants([(1, 5000), (2, 3000), (3, 2000)], AnomalyEvaluation.End, seed: 3);
        var m = AnomalyModel.Instance.Train(log, new Hyperparameters { Seed = 3 });
        TestContext.Current.SendDiagnosticMessage(AnomalyModel.KindTable(m.Metrics, m.BaselineMetrics));

        double Served(string kind) => m.Metrics[kind == "" ? "auc" : "auc_" + kind];
        double Trivial(string kind) => m.BaselineMetrics[kind == "" ? "max_abs_z_tenant_auc" : "max_abs_z_tenant_auc_" + kind];
        Assert.True(Served("") >= Trivial("") + 0.1, $"all: served {Served(""):0.000} vs largest |z| per tenant {Trivial(""):0.000}");
        foreach (var kind in AnomalyInjection.ContextKinds)
        {
            // A 2.5σ step is often visible to the largest |z| too, once the tenant's own (narrower) spread is the unit;
            // a drift and a burst are not.
            var margin = kind == "step" ? 0 : 0.05;
            Assert.True(Served(kind) >= Trivial(kind) + margin, $"{kind}: served {Served(kind):0.000} vs {Trivial(kind):0.000}");
            Assert.True(Served(kind) >= 0.95, $"{kind}: served {Served(kind):0.000}");
        }
        foreach (var kind in AnomalyInjection.PointKinds)
        {
            Assert.True(Served(kind) >= Trivial(kind) - 0.01, $"{kind}: served {Served(kind):0.000} vs {Trivial(kind):0.000}");
            Assert.True(Served(kind) >= 0.85, $"{kind}: served {Served(kind):0.000}");
        }
        // The trivial scorer is blind to a burst of ordinary calls: the test can tell the two apart.
        Assert.InRange(Trivial("burst"), 0.3, 0.7);
        Assert.True(m.Metrics["false_positive_rate"] <= 0.01, $"false-positive rate {m.Metrics["false_positive_rate"]:0.000}");
    }
}
