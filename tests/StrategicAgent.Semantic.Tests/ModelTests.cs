using StrategicAgent.Semantic;
using Xunit;

namespace StrategicAgent.Semantic.Tests;

/// <summary>The definitions are consistent, and the layer's lookups and derived measures behave.</summary>
public sealed class ModelTests
{
    private static readonly SemanticModel Model = SemanticModel.Default;

    [Fact]
    public void The_platform_layer_is_consistent()
    {
        Assert.Empty(Model.Validate());
        Assert.True(Model.Metrics.Count >= 25, $"{Model.Metrics.Count} metrics");
        Assert.All(Model.Metrics, m => Assert.NotEmpty(m.Examples));
    }

    [Fact]
    public void A_dangling_reference_fails_the_build_of_the_layer_naming_it()
    {
        var broken = Metrics.All[0] with { Name = "broken_metric", Attribute = "no_such_attribute", Aggregation = Aggregation.Avg, Conditions = ["no_such_predicate"] };
        var ex = Assert.Throws<SemanticModelException>(() => new SemanticModel(
            Entities.All, Dimensions.All, [.. Metrics.All, broken], Words.Listings, Words.Measures, Words.StopWords));
        Assert.Contains(ex.Problems, p => p.Contains("broken_metric", StringComparison.Ordinal) && p.Contains("no_such_attribute", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("no_such_predicate", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_synonym_fails_the_build_of_the_layer()
    {
        var entity = Entities.Incident with { Synonyms = ["incidents?", "(unclosed"] };
        var ex = Assert.Throws<SemanticModelException>(() => new SemanticModel(
            [Entities.Issue, Entities.Epic, Entities.PullRequest, Entities.Deployment, entity], Dimensions.All, Metrics.All, Words.Listings, Words.Measures, Words.StopWords));
        Assert.Contains(ex.Problems, p => p.Contains("(unclosed", StringComparison.Ordinal));
    }

    [Fact]
    public void A_catalog_signature_is_the_catalog_metric_and_anything_else_is_derived_and_round_trips()
    {
        var lead = Model.Measure(EntityKind.Issue, Aggregation.Median, "lead_time_days", null, ["done", "completed"], "completed");
        Assert.Equal("lead_time_median_days", lead.Name);
        Assert.False(lead.Derived);

        var comments = Model.Measure(EntityKind.Issue, Aggregation.Avg, "comment_count", null, [], "created");
        Assert.True(comments.Derived);
        Assert.Equal("comment_count_avg", comments.Name);
        Assert.Equal("Average comments per issue", comments.Title);
        Assert.True(Model.TryGetMetric(comments.Key, out var again));
        Assert.Equal(comments.Key, again.Key);
        Assert.Equal(comments.Title, again.Title);

        // An attribute's requirements are part of the measure: time to merge is over merged PRs.
        var ttm = Model.Measure(EntityKind.PullRequest, Aggregation.Max, "time_to_merge_hours", null, [], "merged_at");
        Assert.Contains("merged", ttm.Conditions);

        var share = Model.Measure(EntityKind.PullRequest, Aggregation.Share, null, "unreviewed", ["merged"], "merged_at");
        Assert.Equal("%", share.Unit);
        Assert.Equal("unreviewed_pct", share.Name);
        Assert.False(Model.TryGetMetric("derived/PullRequest/Avg/no_such/-/created_at/", out _));
    }

    [Theory]
    [InlineData("deployment_frequency_per_day", 1.0, "elite")]
    [InlineData("deployment_frequency_per_day", 0.2, "high")]
    [InlineData("deployment_frequency_per_day", 0.01, "low")]
    [InlineData("change_lead_time_median_hours", 23.9, "elite")]
    [InlineData("change_lead_time_median_hours", 24, "high")]
    [InlineData("change_failure_rate_pct", 5, "elite")]
    [InlineData("change_failure_rate_pct", 15, "medium")]
    [InlineData("change_failure_rate_pct", 15.1, "low")]
    [InlineData("time_to_restore_median_hours", 30, "medium")]
    public void Dora_bands_follow_the_definitions(string metric, double value, string tier) =>
        Assert.Equal(tier, Model.Metric(metric).Tier(value));

    [Fact]
    public void Groupings_and_filters_follow_the_entity()
    {
        var incidents = Model.Metric("incidents_count");
        Assert.Contains(Dimension.Severity, Model.DimensionsOf(incidents));
        Assert.DoesNotContain(Dimension.Project, Model.DimensionsOf(incidents));
        Assert.Contains(FilterKind.Severity, Model.FiltersOf(incidents));
        var prs = Model.Metric("prs_merged");
        Assert.Equal("author", Model.Dimension(Dimension.Assignee).ColumnFor(EntityKind.PullRequest));
        Assert.DoesNotContain(Dimension.IssueType, Model.DimensionsOf(prs));
        Assert.Equal([Dimension.Epic], Model.DimensionsOf(Model.Metric("epic_progress_pct")));
    }

    [Fact]
    public void Sql_fragments_name_their_columns()
    {
        Assert.Equal(["pull_requests.changed_files"], Model.ColumnsOf(EntityKind.PullRequest, "pr.changed_files > $2"));
        Assert.Equal(["status_mappings.status_to"], Model.ColumnsOf(EntityKind.Issue, "sm.status_to <> 'Done'"));
        Assert.Equal(["teams.name"], Model.ColumnsOf(EntityKind.Incident, "t.name"));
    }
}
