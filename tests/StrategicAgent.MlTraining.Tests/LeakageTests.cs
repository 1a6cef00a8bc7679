using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Ml.Features;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>No label leakage: the rework label's columns are not features, and the score comes from the label's relation to the features.</summary>
public sealed class LeakageTests(DemoDataFixture db)
{
    private static readonly string[] LabelColumns = ["review_cycles", "rework_commit_count"];

    [Fact]
    public async Task Rework_features_contain_neither_label_column_nor_anything_computed_after_opening()
    {
        var features = FeatureSet.Rework.Features.Select(f => f.Column).ToList();
        Assert.DoesNotContain(features, c => LabelColumns.Contains(c) || c.Contains("commit", StringComparison.Ordinal) || c.Contains("review", StringComparison.Ordinal));
        // The view's feature columns (everything except key, time and label columns) do not mention them either.
        await using var conn = await db.OpenReplicaAsync(TestContext.Current.CancellationToken);
        await using var cmd = new NpgsqlCommand(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ml' AND table_name = 'rework_features'", conn);
        var viewColumns = new List<string>();
        await using (var r = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await r.ReadAsync(TestContext.Current.CancellationToken)) viewColumns.Add(r.GetString(0));
        }
        Assert.Empty(viewColumns.Intersect(LabelColumns));
        Assert.Contains("label", viewColumns);
    }

    [Fact]
    public async Task Shuffling_the_rework_label_destroys_the_score()
    {
        await using var replica = NpgsqlDataSource.Create(db.ReplicaMlConnectionString);
        var rows = await FeatureReader.ReadTrainingRowsAsync<ReworkFeatures>(replica, FeatureSet.Rework, 100_000, TestContext.Current.CancellationToken);
        var h = new Hyperparameters { Iterations = 120 };
        var real = ModelTrainer.TrainBinary(FeatureSet.Rework, rows, h);

        var rnd = new Random(11);
        var labels = rows.Select(r => r.Label).OrderBy(_ => rnd.Next()).ToArray();
        var shuffledRows = rows.Select((r, i) => new ReworkFeatures
        {
            EntityId = r.EntityId, ClientId = r.ClientId, LabelKnownAt = r.LabelKnownAt, Label = labels[i],
            Repository = r.Repository, ChangedFiles = r.ChangedFiles, Additions = r.Additions, Deletions = r.Deletions,
            TitleWords = r.TitleWords, LinkedIssuePoints = r.LinkedIssuePoints, LinkedIssueType = r.LinkedIssueType,
            AuthorPriorOpened = r.AuthorPriorOpened, AuthorPriorMerged = r.AuthorPriorMerged, AuthorPriorReworkRate = r.AuthorPriorReworkRate,
            RepoPriorMerged = r.RepoPriorMerged, RepoPriorReworkRate = r.RepoPriorReworkRate, OpenHour = r.OpenHour, OpenDow = r.OpenDow,
        }).ToList();
        var shuffled = ModelTrainer.TrainBinary(FeatureSet.Rework, shuffledRows, h);
        TestContext.Current.SendDiagnosticMessage($"AUC real {real.Metrics["auc"]:0.000}, shuffled {shuffled.Metrics["auc"]:0.000}");
        Assert.True(real.Metrics["auc"] >= 0.65, $"real AUC {real.Metrics["auc"]:0.000}");
        Assert.InRange(shuffled.Metrics["auc"], 0.4, 0.58);
    }

    [Fact]
    public async Task Epic_children_are_counted_as_of_the_start_of_work_not_at_the_end()
    {
        // For done epics, "so far" must be at most the final child count and strictly less for some.
        var (fewer, more) = await (Helpers.ScalarAsync<long>(db, """
            SELECT count(*) FROM ml.trajectory_features t
            WHERE t.label IS NOT NULL AND t.children_so_far < (SELECT count(*) FROM issues c WHERE c.parent_id = t.entity_id AND c.active)
            """), Helpers.ScalarAsync<long>(db, """
            SELECT count(*) FROM ml.trajectory_features t
            WHERE t.children_so_far > (SELECT count(*) FROM issues c WHERE c.parent_id = t.entity_id AND c.active)
            """)).WhenBoth();
        Assert.True(fewer > 0);
        Assert.Equal(0, more);
    }

    [Fact]
    public async Task Epic_pace_features_use_only_work_completed_before_the_start()
    {
        // Recomputed from the base tables with an explicit "completed at or before as_of" filter:
        // the view's windowed value must agree on every sampled done epic.
        var mismatches = await Helpers.ScalarAsync<long>(db, """
            SELECT count(*) FROM (
                SELECT t.project_log_days_per_point_before AS v,
                       (SELECT avg(ln(d.total_lead_time_seconds / 86400.0 / nullif(
                                   (SELECT sum(c.story_points) FROM issues c
                                    WHERE c.parent_id = d.id AND c.active AND c.story_points > 0 AND c.created <= d.work_last_completed_at), 0)))
                        FROM issues d JOIN issuetypes dt ON dt.id = d.issuetype_id AND dt.original_name = 'Epic'
                        WHERE d.client_id = t.client_id AND d.project_id = t.project_id AND d.active
                          AND d.work_last_completed_at <= t.as_of
                          AND d.total_lead_time_seconds > 0 AND d.total_lead_time_seconds < 31536000) AS expected
                FROM ml.trajectory_features t
                WHERE t.label IS NOT NULL
                ORDER BY t.entity_id DESC
                LIMIT 200
            ) x
            WHERE abs(coalesce(x.v, -99) - coalesce(x.expected, -99)) > 1e-3
            """);
        Assert.Equal(0, mismatches);
    }
}

internal static class TaskPairs
{
    public static async Task<(T1, T2)> WhenBoth<T1, T2>(this (Task<T1> A, Task<T2> B) t) => (await t.A, await t.B);
}
