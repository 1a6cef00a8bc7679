using System.ComponentModel.DataAnnotations;
using StrategicAgent.Prediction.Domain;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>Pure logic: key validation, scales, the model holder's swap, latency percentiles, options validation.</summary>
public sealed class DomainTests
{
    [Fact]
    public void Issue_keys_are_normalised_and_checked_for_count_duplicates_and_shape()
    {
        Assert.Equal(["PAY-12", "API-3"], RequestValidation.IssueKeys("epic_keys", [" pay-12 ", "API-3"], 50));

        var none = Assert.Throws<InvalidRequestException>(() => RequestValidation.IssueKeys("epic_keys", [], 50));
        Assert.Contains("at least one key", none.Message);
        var many = Assert.Throws<InvalidRequestException>(() => RequestValidation.IssueKeys("epic_keys", Enumerable.Range(1, 51).Select(i => "PAY-" + i).ToList(), 50));
        Assert.Contains("51 keys given, at most 50", many.Message);
        var dup = Assert.Throws<InvalidRequestException>(() => RequestValidation.IssueKeys("epic_keys", ["PAY-1", "pay-1"], 50));
        Assert.Contains("epic_keys[1] = 'PAY-1' repeats epic_keys[0]", dup.Message);
        foreach (var bad in new[] { "PAY", "PAY-", "-12", "PAY-0", "PAY 12", "12", "PAY-12; DROP TABLE issues", "" })
        {
            var ex = Assert.Throws<InvalidRequestException>(() => RequestValidation.IssueKeys("epic_keys", [bad], 50));
            Assert.Contains("is not an issue key", ex.Message);
        }
    }

    [Fact]
    public void Pull_request_keys_accept_repository_and_number_forms()
    {
        var keys = RequestValidation.PullRequestKeys("pull_requests", ["api-gateway#42", "#7", "9", "acme/Payments-Service#3"], 50);
        Assert.Equal(new PullRequestKey("api-gateway", 42), keys[0]);
        Assert.Equal(new PullRequestKey(null, 7), keys[1]);
        Assert.Equal(new PullRequestKey(null, 9), keys[2]);
        Assert.Equal(new PullRequestKey("acme/payments-service", 3), keys[3]);
        Assert.Throws<InvalidRequestException>(() => RequestValidation.PullRequestKeys("pull_requests", ["api-gateway#42", "API-GATEWAY#42"], 50));
        Assert.Throws<InvalidRequestException>(() => RequestValidation.PullRequestKeys("pull_requests", ["api gateway#1"], 50));
        Assert.Throws<InvalidRequestException>(() => RequestValidation.PullRequestKeys("pull_requests", ["api-gateway#0"], 50));
    }

    [Theory]
    [InlineData(0.2, 1)]
    [InlineData(1.4, 1)]
    [InlineData(2.5, 3)]
    [InlineData(4.0, 5)]
    [InlineData(6.4, 5)]
    [InlineData(6.6, 8)]
    [InlineData(10.5, 13)]
    [InlineData(40, 21)]
    public void Nearest_fibonacci(double points, double expected) => Assert.Equal(expected, Scales.NearestFibonacci(points));

    [Fact]
    public void Risk_levels_follow_the_thresholds()
    {
        Assert.Equal(RiskLevel.High, Scales.RiskLevel(0.71, 0.7, 0.4));
        Assert.Equal(RiskLevel.Medium, Scales.RiskLevel(0.7, 0.7, 0.4));
        Assert.Equal(RiskLevel.Medium, Scales.RiskLevel(0.41, 0.7, 0.4));
        Assert.Equal(RiskLevel.Low, Scales.RiskLevel(0.4, 0.7, 0.4));
        Assert.Equal(3.2, Scales.RoundPoints(3.15));
        Assert.True(Scales.IntervalConfidence(10, 9, 11) > Scales.IntervalConfidence(10, 2, 30));
    }

    private sealed record FakeVersion(string Name, int Version_, long VersionId) : IModelVersion
    {
        public int Version => Version_;
    }

    [Fact]
    public async Task Model_swap_is_atomic_under_concurrent_readers()
    {
        var holder = new DeployedModels<FakeVersion>();
        // Before the registry was read once a missing model may still be loading; afterwards it is not deployed.
        Assert.Throws<ModelsLoadingException>(() => holder.Get("complexity"));
        holder.MarkLoaded();
        Assert.Throws<ModelNotDeployedException>(() => holder.Get("complexity"));
        Assert.True(holder.TrySwap(new FakeVersion("complexity", 1, 10), out _));
        Assert.False(holder.TrySwap(new FakeVersion("complexity", 1, 10), out _)); // same version: no-op

        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var m = holder.Get("complexity"); // never missing, never torn
                seen.Add(m.Version);
            }
        })).ToArray();
        for (var v = 2; v <= 200; v++)
        {
            Assert.True(holder.TrySwap(new FakeVersion("complexity", v, 10 + v), out var previous));
            Assert.Equal(v - 1, previous!.Version);
        }
        await Task.Delay(20, TestContext.Current.CancellationToken);
        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.Equal(200, holder.Get("complexity").Version);
        Assert.Equal(200, holder.Swaps);
        Assert.All(seen, v => Assert.InRange(v, 1, 200));
    }

    [Fact]
    public void Not_deployed_message_names_the_model_and_how_to_train_it()
    {
        var ex = new ModelNotDeployedException("rework");
        Assert.Contains("'rework'", ex.Message);
        Assert.Contains("train", ex.Message);
    }

    [Fact]
    public void Latency_percentiles_over_the_recent_window()
    {
        var t = new LatencyTracker(capacity: 100);
        for (var i = 1; i <= 1000; i++)
        {
            t.Record("m", i);
        }
        var s = t.Summarize("m");
        Assert.Equal(100, s.Samples); // only the last 100 are kept
        Assert.Equal(950, s.P50);
        Assert.Equal(999, s.P99);
    }

    [Fact]
    public void Log_queue_counts_drops_only_when_full()
    {
        var dir = Directory.CreateTempSubdirectory("sa-spool-test-");
        using (var spool = new StrategicAgent.Prediction.Infrastructure.PredictionLogSpool(dir.FullName, 1 << 20))
        using (var q = new PredictionLogQueue(spool, capacity: 3))
        {
            for (var i = 0; i < 5; i++)
            {
                q.TryEnqueue(new PredictionLogEntry { ClientId = 1, ModelName = "m", ModelVersion = 1, Key = "K-" + i, Value = i, ResponseTimeMs = 1, CreatedAt = DateTimeOffset.UtcNow });
            }
            Assert.Equal(3, q.Enqueued);
            Assert.Equal(2, q.Dropped);
            Assert.Equal(3, q.Pending);
        }
        dir.Delete(recursive: true);
    }

    [Fact]
    public void Logged_features_are_json_by_view_column_with_text_shortened_and_missing_numbers_null()
    {
        var row = new StrategicAgent.Ml.Features.ComplexityFeatures
        {
            EntityId = 7, ClientId = 1, LabelKnownAt = DateTime.UtcNow,
            // The cut at 200 characters falls inside the emoji's surrogate pair: it must not split it.
            Text = new string('a', FeatureLogFormat.MaxTextChars - 1) + "😀 \"quoted\" <tail>",
            IssueType = "Story", Project = "3", Priority = "", SummaryWords = 12, DescriptionChars = float.NaN,
            HasEpic = 1, ProjectPriorMeanPoints = 2.5f, ProjectPriorPointed = 40,
        };
        var (json, count) = FeatureLogFormat.Describe(row);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var r = doc.RootElement;
        Assert.Equal(new string('a', FeatureLogFormat.MaxTextChars - 1), r.GetProperty("text").GetString());
        Assert.Equal("Story", r.GetProperty("issue_type").GetString());
        Assert.Equal("", r.GetProperty("priority").GetString());
        Assert.Equal(12, r.GetProperty("summary_words").GetSingle());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, r.GetProperty("description_chars").ValueKind);
        Assert.Equal(2.5f, r.GetProperty("project_prior_mean_points").GetSingle());
        // Every column with a value counts; the empty priority and the NaN do not.
        Assert.Equal(r.EnumerateObject().Count() - 2, count);
        Assert.Equal(("{}", 0), FeatureLogFormat.Describe(null));
    }

    [Fact]
    public void Anomaly_severity_thresholds_are_configurable()
    {
        var o = new AnomalyOptions();
        Assert.Null(o.Classify(0.9, 1, 2, 4));
        Assert.Equal(AlertSeverity.Medium, o.Classify(1.0, 1, 2, 4));
        Assert.Equal(AlertSeverity.High, o.Classify(2.5, 1, 2, 4));
        Assert.Equal(AlertSeverity.Critical, o.Classify(4, 1, 2, 4));
        var strict = new AnomalyOptions { MediumFactor = 2, HighFactor = 2, CriticalFactor = 2, LowFactor = 0.8 };
        Assert.Equal(AlertSeverity.Low, strict.Classify(1.0, 1, 2, 4));
        Assert.Equal(AlertSeverity.Medium, strict.Classify(2.5, 1, 2, 4));
        Assert.Equal(AlertSeverity.High, strict.Classify(4, 1, 2, 4));
        Assert.Equal(AlertSeverity.Critical, strict.Classify(8, 1, 2, 4));
    }

    [Fact]
    public void Options_validation_names_the_bad_setting()
    {
        var bad = new PredictionOptions { ReworkHighThreshold = 0.3, ReworkMediumThreshold = 0.5 };
        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(bad, new ValidationContext(bad), results, validateAllProperties: true));
        Assert.Contains(results, r => r.ErrorMessage!.Contains("ReworkMediumThreshold"));
    }
}
