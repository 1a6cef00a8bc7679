using StrategicAgent.Ml.Confidence;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>The pure maths and parsing: metrics, calibration, drift, hyperparameters, scheduler policy, CSV.</summary>
public sealed class UnitTests
{
    [Fact]
    public void Auc_is_one_for_a_perfect_ranking_zero_for_a_reversed_one_and_half_for_ties()
    {
        bool[] y = [false, false, true, true];
        Assert.Equal(1.0, Metrics.Auc(y, [0.1, 0.2, 0.8, 0.9]));
        Assert.Equal(0.0, Metrics.Auc(y, [0.9, 0.8, 0.2, 0.1]));
        Assert.Equal(0.5, Metrics.Auc(y, [0.5, 0.5, 0.5, 0.5]));
    }

    [Fact]
    public void Regression_metrics_match_hand_computed_values()
    {
        var m = Metrics.Regression([1, 2, 3, 4], [1, 2, 3, 8]);
        Assert.Equal(1.0, m["mae"], 9);
        Assert.Equal(2.0, m["rmse"], 9);
        Assert.Equal(0.0, m["mdae"], 9);
        Assert.Equal(1 - 16.0 / 5.0, m["r2"], 9);
    }

    [Fact]
    public void Conformal_interval_from_held_out_residuals_covers_about_80_percent_of_new_points()
    {
        var rnd = new Random(3);
        double Noise() => Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble());
        var interval = ConformalInterval.Fit(Enumerable.Range(0, 2000).Select(_ => Noise()).ToList(), 0.8);
        var covered = Enumerable.Range(0, 5000).Select(_ => Noise()).Count(r => r >= interval.LowerResidual && r <= interval.UpperResidual) / 5000.0;
        Assert.InRange(covered, 0.77, 0.83);
    }

    [Fact]
    public void Probability_calibration_repairs_a_miscalibrated_score()
    {
        var rnd = new Random(5);
        // True probability sigmoid(s); the model's raw score is 3·s + 2 (overconfident and shifted).
        var s = Enumerable.Range(0, 4000).Select(_ => rnd.NextDouble() * 6 - 3).ToList();
        var y = s.Select(v => rnd.NextDouble() < 1 / (1 + Math.Exp(-v))).ToList();
        var raw = s.Select(v => 3 * v + 2).ToList();
        var cal = ProbabilityCalibration.Fit(raw.Take(2000).ToList(), y.Take(2000).ToList());
        var testRaw = raw.Skip(2000).ToList();
        var testY = y.Skip(2000).ToList();
        var naive = Metrics.Binary(testY, testRaw.Select(r => 1 / (1 + Math.Exp(-r))).ToList())["log_loss"];
        var calibrated = Metrics.Binary(testY, testRaw.Select(cal.Apply).ToList())["log_loss"];
        Assert.True(calibrated < naive - 0.05, $"calibrated {calibrated:0.000} vs naive {naive:0.000}");
    }

    [Fact]
    public void Psi_is_near_zero_for_the_same_distribution_and_large_for_a_shifted_one()
    {
        var rnd = new Random(9);
        var train = Enumerable.Range(0, 5000).Select(_ => rnd.NextDouble() * 10).ToList();
        var d = FeatureDistribution.Fit(train);
        Assert.Equal(9, d.Edges.Length);
        Assert.True(d.Psi(Enumerable.Range(0, 5000).Select(_ => rnd.NextDouble() * 10).ToList()) < 0.02);
        Assert.True(d.Psi(Enumerable.Range(0, 5000).Select(_ => 5 + rnd.NextDouble() * 10).ToList()) > 0.25);
    }

    [Fact]
    public void Hyperparameters_reject_unknown_names_and_bad_values_with_what_is_allowed()
    {
        var unknown = Assert.Throws<ArgumentException>(() => new Hyperparameters().With(new Dictionary<string, string> { ["depth"] = "3" }));
        Assert.Contains("Unknown hyperparameter 'depth'", unknown.Message);
        Assert.Contains("iterations", unknown.Message);
        var bad = Assert.Throws<ArgumentException>(() => new Hyperparameters().With(new Dictionary<string, string> { ["learning_rate"] = "7" }));
        Assert.Contains("expected number in (0, 1]", bad.Message);
        var ok = new Hyperparameters().With(new Dictionary<string, string> { ["iterations"] = "50", ["algorithm"] = "fasttree" });
        Assert.Equal(50, ok.Iterations);
        Assert.Equal("fasttree", ok.Algorithm);
    }

    [Fact]
    public void Retraining_is_due_only_when_old_enough_and_with_enough_new_rows()
    {
        var o = new ModelTrainingOptions { MaxAgeDays = 30, MinNewRecords = 100 };
        var now = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        RetrainingInputs Inputs(double daysAgo, long rows, long lastRows) =>
            new("trajectory", rows, now, now.AddDays(-daysAgo), lastRows, 7, false);

        Assert.False(RetrainingPolicy.Decide(Inputs(10, 1000, 500), o, 40, now).Due);   // young
        Assert.False(RetrainingPolicy.Decide(Inputs(40, 1050, 1000), o, 40, now).Due);  // old, 50 new rows
        var due = RetrainingPolicy.Decide(Inputs(40, 1200, 1000), o, 40, now);
        Assert.True(due.Due);
        Assert.Equal(200, due.NewRecords);
        Assert.Equal(40, due.DaysSinceTraining!.Value, 6);
        Assert.Contains("200 new rows", due.Reason);
        Assert.StartsWith("scheduler:trajectory:v7:rows1200:", due.RequestId);

        var never = RetrainingPolicy.Decide(new RetrainingInputs("rework", 30, null, null, null, null, false), o, 60, now);
        Assert.False(never.Due);
        Assert.Contains("only 30 rows", never.Reason);
        Assert.False(RetrainingPolicy.Decide(Inputs(40, 5000, 10) with { RunInProgress = true }, o, 40, now).Due);
    }

    [Fact]
    public void Story_points_csv_reader_handles_quoted_commas_quotes_and_newlines()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "issuekey,title,description,storypoint,split_mark\nA-1,\"Fix, \"\"quoted\"\"\",\"line one\nline two\",3,train\nA-2,Plain,,5,test\n");
        try
        {
            var rows = StoryPointsCsv.Read(path);
            Assert.Equal(2, rows.Count);
            Assert.Equal("Fix, \"quoted\"", rows[0].Title);
            Assert.Equal("line one\nline two", rows[0].Description);
            Assert.Equal(5, rows[1].Points);
            Assert.Equal("test", rows[1].Split);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Within_one_fibonacci_step_counts_neighbours_only()
    {
        Assert.Equal(1.0, StoryPointsEvaluation.WithinOneStep([3, 3, 3], [2, 3, 5]));
        Assert.Equal(0.0, StoryPointsEvaluation.WithinOneStep([3], [8]));
    }
}
