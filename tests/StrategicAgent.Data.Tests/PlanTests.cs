using StrategicAgent.Data.DemoData;
using Xunit;

namespace StrategicAgent.Data.Tests;

/// <summary>Sizes as planned (without loading): Medium ≈ 200k issues, Large ≥ 1M issues and ≥ 300k PRs.</summary>
public sealed class PlanTests
{
    private static (long Issues, long Prs) Count(DemoDataOptions options)
    {
        var dims = DemoDimensions.Build(options);
        long issueId = 0, prId = 0;
        foreach (var chunk in dims.Chunks)
        {
            var issues = ProjectPlanner.PlanIssues(chunk, issueId);
            issueId += issues.Count;
            prId += ProjectPlanner.PlanPullRequests(chunk, issues, prId).Count;
        }
        return (issueId, prId);
    }

    [Fact]
    public void Medium_has_about_200k_issues()
    {
        var (issues, prs) = Count(new DemoDataOptions { Size = DemoDataSize.Medium, ReferenceDate = new DateOnly(2026, 11, 1) });
        TestContext.Current.SendDiagnosticMessage($"medium: {issues} issues, {prs} PRs");
        Assert.InRange(issues, 170_000, 240_000);
    }

    [Fact]
    public void Large_has_at_least_a_million_issues_and_300k_pull_requests()
    {
        var (issues, prs) = Count(new DemoDataOptions { Size = DemoDataSize.Large, ReferenceDate = new DateOnly(2026, 11, 1) });
        TestContext.Current.SendDiagnosticMessage($"large: {issues} issues, {prs} PRs");
        Assert.True(issues >= 1_000_000, $"{issues} issues");
        Assert.True(prs >= 300_000, $"{prs} PRs");
    }

    [Fact]
    public void Planning_is_a_pure_function_of_the_options()
    {
        var options = new DemoDataOptions { Seed = 7, ReferenceDate = new DateOnly(2025, 3, 15) };
        var a = DemoDimensions.Build(options).Chunks[0];
        var b = DemoDimensions.Build(options).Chunks[0];
        var x = ProjectPlanner.PlanIssues(a, 0);
        var y = ProjectPlanner.PlanIssues(b, 0);
        Assert.Equal(x.Select(i => (i.Id, i.Number, i.Created, i.Completed, i.StoryPoints, i.Status)),
                     y.Select(i => (i.Id, i.Number, i.Created, i.Completed, i.StoryPoints, i.Status)));
        Assert.All(x, i => Assert.True(i.Created < options.AsOf));
    }
}
