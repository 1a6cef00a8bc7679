using StrategicAgent.Agent.Domain.Planning;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>Pure parser/planner rules: follow-ups, name recognition, time windows, literal rendering.</summary>
public sealed class ParserUnitTests
{
    private static readonly TenantVocabulary Acme = new(
        ["Platform", "Payments", "Mobile", "Data"],
        [("PAY", "Payments"), ("API", "Public API"), ("MOB", "Mobile App"), ("DATA", "Data Platform")],
        ["api-gateway", "payments-service", "mobile-app", "data-pipeline"],
        ["Epic", "Story", "Task", "Bug", "Sub-task"],
        ["Alice Chen", "Bob Okafor"]);

    private static readonly DateOnly Today = new(2026, 11, 1);

    private static PlanOutcome Plan(string q, QueryPlan? previous = null) => Planner.Plan(QuestionParser.Parse(q, Acme, Today), previous, Today);

    [Fact]
    public void Follow_ups_change_only_what_they_restate()
    {
        var first = Plan("median lead time by team last month for bugs").Plan!;
        Assert.Equal("lead_time_median_days", first.Metric.Name);

        var byProject = Plan("by project instead", first).Plan!;
        Assert.Equal(Dimension.Project, byProject.Dimension);
        Assert.Equal(first.Window, byProject.Window);
        Assert.Equal("Bug", Assert.Single(byProject.Filters).Values[0]);

        var p90 = Plan("and the p90?", byProject).Plan!;
        Assert.Equal("lead_time_p90_days", p90.Metric.Name);
        Assert.Equal(Dimension.Project, p90.Dimension);

        var rework = Plan("and what about the rework rate?", first).Plan!;
        Assert.Equal("rework_rate_pct", rework.Metric.Name);
        Assert.Equal(Dimension.Team, rework.Dimension);
        Assert.Empty(rework.Filters); // issue type does not apply to pull requests: dropped, not refused
    }

    [Fact]
    public void Names_are_recognised_only_where_they_mean_the_entity()
    {
        var q = Plan("lead time of the Data team in project PAY for api-gateway PRs").Plan;
        Assert.Null(q); // PR terms with an issue-only filter (project): refused, not guessed
        Assert.Equal("time_to_merge_avg_hours", Plan("lead time for PRs in api-gateway").Plan!.Metric.Name);
        var lead = Plan("lead time of the Data team in project PAY").Plan!;
        Assert.Contains(lead.Filters, f => f.Kind == FilterKind.Team && f.Values.SequenceEqual(["Data"]));
        Assert.Contains(lead.Filters, f => f.Kind == FilterKind.Project && f.Values.SequenceEqual(["PAY"]));

        // "data" as a word is not the team; PAY-12 is an issue key, not the project filter.
        var plain = Plan("how many issues were created last week, show the data").Plan!;
        Assert.Empty(plain.Filters);
        Assert.Contains(Plan("rework rate for payments-service").Plan!.Filters, f => f.Kind == FilterKind.Repository);
        Assert.Equal(RefusalKind.UnknownEntity, Plan("lead time of team Rockets").Refusal);
    }

    [Theory]
    [InlineData("issues created last 30 days", "2026-10-03", "2026-11-02")]
    [InlineData("issues created last week", "2026-10-19", "2026-10-26")]
    [InlineData("issues created this week", "2026-10-26", "2026-11-02")]
    [InlineData("issues created last quarter", "2026-07-01", "2026-10-01")]
    [InlineData("issues created this year", "2026-01-01", "2026-11-02")]
    [InlineData("issues created in Q1 2025", "2025-01-01", "2025-04-01")]
    [InlineData("issues created in February 2024", "2024-02-01", "2024-03-01")]
    [InlineData("issues created from 2026-02-10 to 2026-02-20", "2026-02-10", "2026-02-21")]
    [InlineData("issues created yesterday", "2026-10-31", "2026-11-01")]
    public void Time_windows_are_computed_from_the_injected_today(string question, string from, string to)
    {
        var w = Plan(question).Plan!.Window!;
        Assert.Equal(DateTimeOffset.Parse(from + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), w.From);
        Assert.Equal(DateTimeOffset.Parse(to + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), w.To);
    }

    [Fact]
    public void Literal_rendering_quotes_values_safely_and_the_sql_keeps_them_out()
    {
        var plan = new QueryPlan(SemanticModel.Default.Metric("issues_created"), Dimension.None,
            [new EntityFilter(FilterKind.Team, ["O'Brien'; DROP TABLE issues; --"])], null, SortOrder.Default, null);
        var compiled = SqlCompiler.Compile(plan, 1);
        Assert.DoesNotContain("O'Brien", compiled.Sql, StringComparison.Ordinal);
        Assert.Contains("t.name = ANY($2)", compiled.Sql, StringComparison.Ordinal);
        Assert.Contains("ARRAY['O''Brien''; DROP TABLE issues; --']::text[]", compiled.RenderLiteral(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, "repository", "1 repository")]
    [InlineData(6, "repository", "6 repositories")]
    [InlineData(4, "team", "4 teams")]
    [InlineData(0, "issue type", "0 issue types")]
    [InlineData(3, "day", "3 days")]
    public void Answers_count_their_rows_in_plain_english(int n, string noun, string expected) =>
        Assert.Equal(expected, Domain.Loop.AnswerWriter.Counted(n, noun));
}
