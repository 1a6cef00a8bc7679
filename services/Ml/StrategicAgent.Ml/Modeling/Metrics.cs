namespace StrategicAgent.Ml.Modeling;

/// <summary>
/// Evaluation metrics computed the same way for our models, their baselines and the XGBoost
/// comparison. Keys are the registry's metric names.
/// </summary>
public static class Metrics
{
    /// <summary>R², MAE, RMSE and MdAE of predictions against actual values.</summary>
    public static Dictionary<string, double> Regression(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        Check(actual, predicted);
        var n = actual.Count;
        var mean = actual.Average();
        double ssRes = 0, ssTot = 0, abs = 0;
        var absErr = new double[n];
        for (var i = 0; i < n; i++)
        {
            var e = actual[i] - predicted[i];
            ssRes += e * e;
            ssTot += (actual[i] - mean) * (actual[i] - mean);
            absErr[i] = Math.Abs(e);
            abs += absErr[i];
        }
        return new Dictionary<string, double>
        {
            ["r2"] = ssTot > 0 ? 1 - ssRes / ssTot : 0,
            ["mae"] = abs / n,
            ["rmse"] = Math.Sqrt(ssRes / n),
            ["mdae"] = Quantile(absErr, 0.5),
        };
    }

    /// <summary>AUC, F1, precision, recall, log-loss and Brier score of probabilities (threshold 0.5 for F1).</summary>
    public static Dictionary<string, double> Binary(IReadOnlyList<bool> actual, IReadOnlyList<double> probability, double threshold = 0.5)
    {
        Check(actual, probability);
        int tp = 0, fp = 0, fn = 0;
        double logLoss = 0, brier = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            var p = Math.Clamp(probability[i], 1e-15, 1 - 1e-15);
            var y = actual[i] ? 1.0 : 0.0;
            logLoss -= y * Math.Log(p) + (1 - y) * Math.Log(1 - p);
            brier += (probability[i] - y) * (probability[i] - y);
            var predicted = probability[i] >= threshold;
            if (predicted && actual[i]) tp++;
            else if (predicted) fp++;
            else if (actual[i]) fn++;
        }
        var precision = tp + fp > 0 ? (double)tp / (tp + fp) : 0;
        var recall = tp + fn > 0 ? (double)tp / (tp + fn) : 0;
        return new Dictionary<string, double>
        {
            ["auc"] = Auc(actual, probability),
            ["f1"] = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0,
            ["precision"] = precision,
            ["recall"] = recall,
            ["log_loss"] = logLoss / actual.Count,
            ["brier"] = brier / actual.Count,
            ["positive_rate"] = actual.Count(a => a) / (double)actual.Count,
        };
    }

    /// <summary>Area under the ROC curve (Mann–Whitney, ties counted half).</summary>
    public static double Auc(IReadOnlyList<bool> actual, IReadOnlyList<double> score)
    {
        Check(actual, score);
        var order = Enumerable.Range(0, actual.Count).OrderBy(i => score[i]).ToArray();
        double rankSumPos = 0;
        long pos = 0;
        var i0 = 0;
        while (i0 < order.Length)
        {
            var i1 = i0;
            while (i1 + 1 < order.Length && score[order[i1 + 1]] == score[order[i0]]) i1++;
            var avgRank = (i0 + i1) / 2.0 + 1;
            for (var k = i0; k <= i1; k++)
            {
                if (actual[order[k]]) { rankSumPos += avgRank; pos++; }
            }
            i0 = i1 + 1;
        }
        var neg = actual.Count - pos;
        if (pos == 0 || neg == 0)
        {
            return 0.5;
        }
        return (rankSumPos - pos * (pos + 1) / 2.0) / (pos * (double)neg);
    }

    /// <summary>Linear-interpolated quantile (q in [0,1]) of values; NaN for none.</summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var v = values.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        var pos = q * (v.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, v.Length - 1);
        return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    }

    /// <summary>The higher-is-better metric deploy decisions compare on.</summary>
    public static string KeyMetric(ModelTask task) => task switch
    {
        ModelTask.BinaryClassification => "auc",
        ModelTask.Anomaly => "auc",
        ModelTask.MultiTarget => "score",
        _ => "r2",
    };

    private static void Check<TA, TB>(IReadOnlyList<TA> a, IReadOnlyList<TB> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("Actual and predicted lengths differ.");
        if (a.Count == 0) throw new ArgumentException("No rows to evaluate.");
    }
}
