using System.Text.RegularExpressions;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Semantic;
using Xunit;
using static StrategicAgent.Agent.Tests.CoverageTests;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// Readings that are another question when the wording varies (session 11): where the words do not fix one reading the reader
/// refuses, and the question its refusal offers is one it answers. Every wording here is invented (in no corpus), with the nearby
/// question that stays answered. Pure: the real parser and planner over the demo-like vocabulary of <see cref="CoverageTests"/>.
/// </summary>
public sealed partial class AmbiguityTests
{
    /// <summary>The refusal, and the question it offers ("Ask e.g. "…"") planned by the same reader.</summary>
    private static (string Reason, QueryPlan Offered) RefusedOffering(string q)
    {
        var o = Plan(q);
        Assert.True(o.Plan is null, $"'{q}' was answered: {(o.Plan is { } p ? Reading.Of(p, Today) : "")}");
        Assert.True(o.Refusal == RefusalKind.Unsupported, $"'{q}': {o.Refusal} {o.Reason} unknown [{string.Join(", ", o.Unknown)}]");
        var offered = OfferedRegex().Match(o.Reason!);
        Assert.True(offered.Success, $"'{q}': the refusal offers no question: {o.Reason}");
        return (o.Reason!, Planned(offered.Groups["q"].Value));
    }

    [GeneratedRegex("Ask e\\.g\\. \"(?<q>[^\"]+)\"")]
    private static partial Regex OfferedRegex();

    [Fact]
    public void A_state_kept_as_of_today_with_a_period_no_event_dates_is_refused()
    {
        // "were open last month": open during that month, or opened then and open today? The data keeps the state as of today only.
        foreach (var q in new[]
                 {
                     "How many pull requests were open in October?",
                     "open incidents during the last two weeks",
                     "Number of epics that were in progress last quarter",
                     "tickets sitting in review this month, per team",
                     "how many bugs weren't done yet in Q3?",
                 })
        {
            var (reason, offered) = RefusedOffering(q);
            Assert.Contains("state today", reason, StringComparison.Ordinal);
            // The offered question dates the rows by their creation and keeps today's state.
            Assert.NotNull(offered.Window);
            Assert.True(offered.Conditions.Count + offered.Metric.Conditions.Count > 0, $"'{q}': the offer drops the state");
        }
        // The PR case in full: the offer is the opened PRs of the period that are open now.
        var (_, p) = RefusedOffering("How many pull requests were open in October?");
        Assert.Equal(("created_at", "open"), (p.Metric.TimeAttribute, Assert.Single(p.Conditions).Predicate));

        // Nearby and answered: an event dates the period, or "still"/"currently" says the state is today's.
        Assert.Equal("created", Planned("open bugs created in October").Metric.TimeAttribute);
        Assert.Contains(Condition.Of("open"), Planned("PRs opened last month that are still open").Conditions);
        Assert.Contains(Condition.Of("unresolved"), Planned("incidents from last week that are currently unresolved").Conditions);
        Assert.Null(Planned("how many tickets are in progress?").Window);
    }

    [Fact]
    public void A_period_said_of_an_act_the_data_keeps_no_time_of_is_refused()
    {
        // No review, assignment or estimate time is recorded: the period can't be that act's.
        foreach (var q in new[]
                 {
                     "How many PRs got reviewed in the past 30 days?",
                     "stories that were assigned this week",
                     "Number of tasks estimated during September",
                 })
        {
            var (reason, offered) = RefusedOffering(q);
            Assert.Contains("keeps no time of", reason, StringComparison.Ordinal);
            Assert.NotNull(offered.Window);
        }
        // Nearby and answered: the act as a condition of rows dated by their own event, and an absence (no act at all) with a period.
        Assert.Contains(Condition.Of("reviewed"), Planned("PRs opened in the past 30 days that were reviewed").Conditions);
        Assert.Contains(Condition.Of("unassigned"), Planned("unassigned stories created this week").Conditions);
        Assert.Contains(Condition.Of("unestimated"), Planned("tasks without story points this year").Conditions);
    }

    [Fact]
    public void An_average_of_an_amount_per_period_is_refused_unless_its_rows_are_said()
    {
        // The average per row in each week, or the weekly totals averaged? Not said.
        foreach (var q in new[]
                 {
                     "On average, how many lines do we add per week?",
                     "average story points each month this year",
                     "average changed files per week over the last quarter",
                     "mean number of review cycles each month",
                 })
        {
            var (reason, offered) = RefusedOffering(q);
            Assert.Contains("totals averaged", reason, StringComparison.Ordinal);
            // The offer says the rows: an average per row, by the period.
            Assert.Equal(Aggregation.Avg, offered.Metric.Aggregation);
            Assert.True(offered.Dimension is Dimension.Week or Dimension.Month);
        }
        // Nearby and answered: the rows said ("per PR"), a duration (no total to average), a count per period (a rate), no period.
        Assert.Equal(Dimension.Week, Planned("average commits per PR per week").Dimension);
        Assert.Equal(Dimension.Month, Planned("average time to merge per month this year").Dimension);
        Assert.Equal(Aggregation.Avg, Planned("average lines added per pull request this year").Metric.Aggregation);
    }
    [Fact]
    public void Speed_said_of_a_count_is_refused_never_ranked_by_the_count()
    {
        // "fastest to merge" ranked the authors of the most merged PRs; "slowest team to resolve incidents" the team with the fewest resolved.
        foreach (var q in new[]
                 {
                     "Which author is quickest to get PRs merged?",
                     "slowest repository at resolving incidents",
                     "which team ships to production the fastest?",
                 })
        {
            var (reason, offered) = RefusedOffering(q);
            Assert.Contains("how long something takes", reason, StringComparison.Ordinal);
            // The offer ranks by the entity's own duration.
            Assert.True(offered.Metric.Unit is "hours" or "days", $"'{q}': offered {offered.Metric.Name}");
        }
        // Nearby and answered: the duration said, or speed of rows that have one (an issue's lead time).
        Assert.Equal(SortOrder.Ascending, Planned("which author has the lowest average time to merge?").Order);
        Assert.Equal("time_to_merge_hours", Planned("the 3 fastest PRs merged last week").Metric.Attribute);
        Assert.Equal(SortOrder.Descending, Planned("slowest team by average lead time").Order);
    }

    [Fact]
    public void Two_events_compared_are_refused_never_one_the_condition_of_the_other()
    {
        // "merged vs opened" read as the opened PRs that were merged: one count where two were asked.
        foreach (var q in new[]
                 {
                     "pull requests opened versus merged in October",
                     "tickets created vs. closed this quarter, by team",
                     "How many incidents were raised compared to resolved last week?",
                 })
        {
            var (reason, offered) = RefusedOffering(q);
            Assert.Contains("compared", reason, StringComparison.Ordinal);
            Assert.Null(offered.Window);
        }
        // Nearby and answered: two values of one filter compared are a grouping by it; one event with a state.
        Assert.Equal(Dimension.IssueType, Planned("bugs vs stories opened this year").Dimension);
        Assert.Contains(Condition.Of("closed_unmerged"), Planned("PRs opened in October that were closed without merging").Conditions);
    }
    [Fact]
    public void A_comparison_is_one_row_per_thing_compared_or_refused()
    {
        // Two values of one filter compared are grouped by it, whatever the filter (before: severities, environments and statuses
        // compared were summed into one number).
        foreach (var (q, by) in new[]
                 {
                     ("sev2 versus sev3 incidents opened this quarter", Dimension.Severity),
                     ("How many deploys went to staging compared with production last month?", Dimension.Environment),
                     ("failed vs rolled back deployments in October", Dimension.Status),
                     ("open bugs on Payments compared to Mobile", Dimension.Team),
                 })
        {
            var p = Planned(q);
            Assert.True(p.Dimension == by, $"'{q}': grouped by {p.Dimension}");
        }
        // Grouped by something else, or no two values to put side by side (two measures, a part against the rest): refused.
        var (reason, offered) = RefusedOffering("sev2 versus sev3 incidents opened this quarter, per team");
        Assert.Contains("one row each", reason, StringComparison.Ordinal);
        Assert.Equal(Dimension.Severity, offered.Dimension);
        foreach (var q in new[] { "defects in vs defects out during October", "merged PR count compared with the median time to merge", "api-gateway deploys versus the rest" })
        {
            Assert.Null(Plan(q).Plan);
        }
        // Nearby and answered: a ratio's "to" is its divisor, not a comparison.
        Assert.Equal(Aggregation.Ratio, Planned("ratio of rolled back to successful deployments").Metric.Aggregation);
    }

    [Fact]
    public void A_lower_case_team_after_a_colon_or_compared_with_a_leading_team_is_the_team()
    {
        foreach (var (q, teams) in new[]
                 {
                     ("incidents: platform vs payments this quarter", new[] { "Platform", "Payments" }),
                     ("deploys last week: mobile", new[] { "Mobile" }),
                     ("open tickets: payments or data", new[] { "Payments", "Data" }),
                 })
        {
            var p = Planned(q);
            var team = Assert.Single(p.Filters, f => f.Kind == FilterKind.Team);
            Assert.Equal(teams.Order(), team.Values.Order());
        }
        // Nearby and refused: the word is an ordinary word there (not the subject after a colon, not compared with a team).
        foreach (var q in new[] { "open bugs: the mobile app", "show data vs mobile", "open bugs on data vs mobile" })
        {
            Assert.Null(Plan(q).Plan);
        }
    }

    [Fact]
    public void This_period_against_a_bare_last_is_one_row_per_period()
    {
        foreach (var (q, by) in new[]
                 {
                     ("merged PRs this quarter vs prior", Dimension.Quarter),
                     ("incidents opened this week compared with the previous", Dimension.Week),
                     ("bugs created MoM (this month vs last)", Dimension.Month),
                 })
        {
            var p = Planned(q);
            Assert.True(p.Dimension == by, $"'{q}': grouped by {p.Dimension}");
            Assert.StartsWith(TimeWindowParser.ComparedPrefix, p.Window!.Code, StringComparison.Ordinal);
        }
        // Nearby and refused: "last" with another unit is another period; a grouping besides the periods.
        Assert.Null(Plan("this month vs last year deployments").Plan);
        Assert.Null(Plan("incidents this week compared with the previous, by severity").Plan);
    }
}
