using System.Globalization;
using StrategicAgent.Agent.Domain.Planning;
using Xunit;
using static StrategicAgent.Agent.Tests.CoverageTests;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// Words and phrasings of what the semantic layer already has, found in the session-10 dev side's refusals (each a rule
/// or a synonym in the layer, tested here in wordings apart from the corpora), and the nearby question that must
/// still be refused. Pure: the real parser and planner over the demo-like vocabulary of <see cref="CoverageTests"/>.
/// </summary>
public sealed class WordingTests
{
    private static string Day(DateTimeOffset t) => DateOnly.FromDateTime(t.UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public void A_status_named_is_that_status_not_its_whole_category()
    {
        var p = Planned("how many tickets are in review right now, by team?");
        Assert.Equal((Dimension.Team, "in_review"), (p.Dimension, Assert.Single(p.Conditions).Predicate));
        Assert.Contains("s.original_name = 'In Review'", SqlCompiler.Compile(p, 1).Sql, StringComparison.Ordinal);
        Assert.Equal("in_review", Assert.Single(Planned("number of bugs whose status is In Review, per project").Conditions).Predicate);
        // A status and its category hold together ("open … in review"); the Won't Do status is a Done one.
        Assert.Contains(Condition.Of("in_review"), Planned("open stories sitting in the In Review column").Conditions);
        p = Planned("Which project has the most issues closed as won't do?");
        Assert.Equal("wont_do", Assert.Single(p.Conditions).Predicate);
        var sql = SqlCompiler.Compile(p, 1).Sql;
        Assert.Contains("sm.status_to = 'Done' AND s.original_name = 'Won''t Do'", sql, StringComparison.Ordinal);
        // No completion time is asked for: Won't Do issues are counted whether or not the work has one.
        Assert.DoesNotContain("work_last_completed_at", sql, StringComparison.Ordinal);
        Assert.Equal("wont_do", Assert.Single(Planned("wont-do bugs by team").Conditions).Predicate);
        // Statuses the layer does not name stay refused (Blocked and Ready for QA exist for some tenants only; QA is also an environment).
        Assert.Null(Plan("how many blocked issues per team?").Plan);
        Assert.Null(Plan("issues in QA by project").Plan);
        // Two states that cannot hold together are refused, never ANDed.
        Assert.Null(Plan("done tickets in review by team").Plan);
    }

    [Fact]
    public void A_lower_case_team_name_first_in_the_question_is_the_team()
    {
        var p = Planned("payments done tickets by type this qtr");
        Assert.Equal(["Payments"], Assert.Single(p.Filters, f => f.Kind == FilterKind.Team).Values);
        Assert.Equal(Dimension.IssueType, p.Dimension);
        Assert.Equal(["Mobile"], Assert.Single(Planned("for mobile, merged PRs last month").Filters, f => f.Kind == FilterKind.Team).Values);
        // A repository that starts with the name, or the project of that name, is not the team.
        p = Planned("mobile-app deploys last week");
        Assert.DoesNotContain(p.Filters, f => f.Kind == FilterKind.Team);
        Assert.Equal(["mobile-app"], Assert.Single(p.Filters, f => f.Kind == FilterKind.Repository).Values);
        Assert.DoesNotContain(Planned("DATA project: open issues per priority").Filters, f => f.Kind == FilterKind.Team);
        // Elsewhere a lower-case team name is a plain word: left over, refused.
        Assert.Null(Plan("how many open issues mention data this year?").Plan);
    }

    [Fact]
    public void Before_a_period_or_a_date_is_every_day_before_it()
    {
        var p = Planned("how many bugs opened before this year are still open?");
        Assert.Equal(("before_this_year", "1970-01-01", "2026-01-01"), (p.Window!.Code, Day(p.Window.From), Day(p.Window.To)));
        Assert.Equal("created", p.Metric.TimeAttribute);
        p = Planned("open stories created prior to last quarter");
        Assert.Equal(("before_last_quarter", "2026-07-01"), (p.Window!.Code, Day(p.Window.To)));
        p = Planned("open issues created before 1 March 2026, per team");
        Assert.Equal(("2026-03-01", Dimension.Team), (Day(p.Window!.To), p.Dimension));
        // "starting in <month>" is since its first day.
        Assert.Equal("2026-06-01", Day(Planned("merged PRs per month, starting in June").Window!.From));
        // Two periods ("before this year and after June") stay refused.
        Assert.Null(Plan("bugs created before this year and fixed since June").Plan);
    }

    [Fact]
    public void Complete_periods_are_read_however_the_current_one_is_left_out()
    {
        foreach (var q in new[]
                 {
                     "bugs fixed per month, last 4 full months (not this one)",
                     "bugs fixed in each of the prior four calendar months",
                     "bugs fixed per month over the past 4 months, leaving out the current month",
                 })
        {
            var p = Planned(q);
            Assert.True(("last_4_complete_months", Dimension.Month) == (p.Window!.Code, p.Dimension), $"{q}: {p.Window.Code} {p.Dimension}");
        }
        // Four months without the current one left out are the rolling four months.
        Assert.Equal("last_4_months", Planned("bugs fixed per month over the past 4 months").Window!.Code);
        // "per qtr" is a grouping by quarter.
        Assert.Equal(Dimension.Quarter, Planned("avg lead time per qtr this year").Dimension);
    }

    [Fact]
    public void Priority_levels_beside_the_word_priority_are_read_singly_and_as_lists()
    {
        foreach (var q in new[]
                 {
                     "open stories with a priority of Low or Lowest, per team",
                     "open low/lowest prio stories per team",
                     "unfinished stories marked Low or Lowest, by team",
                     "open stories of Lowest or Low priority by team",
                 })
        {
            var p = Planned(q);
            var levels = Assert.Single(p.Filters, f => f.Kind == FilterKind.Priority).Values.Order(StringComparer.Ordinal);
            Assert.True(levels.SequenceEqual(["Low", "Lowest"]) && p.Dimension == Dimension.Team, $"{q}: [{string.Join(", ", levels)}] by {p.Dimension}");
        }
        var one = Planned("avg lead time of issues marked Highest priority, done this year");
        Assert.Equal(["Highest"], Assert.Single(one.Filters, f => f.Kind == FilterKind.Priority).Values);
        Assert.Equal(Dimension.None, one.Dimension);
        Assert.Equal(["High"], Assert.Single(Planned("high prio bugs opened last month").Filters, f => f.Kind == FilterKind.Priority).Values);
        // Without the word priority, "highest" is an ordering and never a priority filter.
        var ranked = Planned("which team has the highest number of open bugs?");
        Assert.DoesNotContain(ranked.Filters, f => f.Kind == FilterKind.Priority);
        Assert.Equal(1, ranked.Limit);
        Assert.Null(Plan("open bugs marked urgent by team").Plan);
    }

    [Fact]
    public void Small_words_of_shares_rates_rankings_and_counts()
    {
        // "<state> rate" is the share in that state, also with "%" said beside it; "ended in a rollback" is the rolled-back status.
        foreach (var q in new[] { "staging rollback rate this quarter, in %", "share of this quarter's staging deploys that ended in a rollback" })
        {
            var p = Planned(q);
            Assert.True(p.Metric.Aggregation == Aggregation.Share && p.Subset!.Filters.Single().Values.SequenceEqual(["rolled_back"]), $"{q}: {p.Metric.Aggregation}");
        }
        // A rate per period ("weekly rate of …", "over the previous quarter") is a count per week, never a share of the rows.
        var rate = Planned("weekly rate of successful staging deploys over the previous quarter");
        Assert.Equal((Aggregation.RatePerDay, 7), (rate.Metric.Aggregation, rate.RateUnitDays));
        Assert.Equal("last_quarter", rate.Window!.Code);
        Assert.Equal(Aggregation.Share, Planned("rate of failed deployments last month").Metric.Aggregation);
        // "most often" ranks by the count of the rows (any status), never by the DORA frequency (successful only).
        var often = Planned("which repo deployed to staging most often last month?");
        Assert.Equal((1, Dimension.Repository), (often.Limit, often.Dimension));
        Assert.DoesNotContain(often.Filters, f => f.Kind == FilterKind.Status);
        // "and how many each" after a grouping is its count; "attracted"/"received" restrict nothing; stories "written" were created.
        Assert.Equal(Dimension.Team, Planned("which teams have unassigned bugs, and how many each?").Dimension);
        Assert.Equal(1, Planned("which bug opened last month received the most comments?").Limit);
        Assert.Equal("created", Planned("how many stories have we written this quarter?").Metric.TimeAttribute);
        // A daily or weekly rate never reads "rate of" as a share; "rate" alone after no state stays a frequency.
        Assert.NotEqual(Aggregation.Share, Plan("daily rate of deployments to production last month").Plan?.Metric.Aggregation);
    }

    [Fact]
    public void Another_aggregate_of_a_dora_metric_keeps_what_the_metric_assumes()
    {
        // "the average lead time for changes" is the mean of the same metric: successful production deployments (before, production was dropped).
        var p = Planned("mean change lead time of api-gateway last quarter");
        Assert.Equal(Aggregation.Avg, p.Metric.Aggregation);
        Assert.Equal(["production"], Assert.Single(p.Filters, f => f.Kind == FilterKind.Environment).Values);
        Assert.Contains("d.environment", SqlCompiler.Compile(p, 1).Sql, StringComparison.Ordinal);
        // The question's own environment, or a grouping by environment, wins as it does for the metric itself.
        Assert.Equal(["staging"], Assert.Single(Planned("average lead time for changes in staging last quarter").Filters, f => f.Kind == FilterKind.Environment).Values);
        p = Planned("average lead time for changes per environment last quarter");
        Assert.Equal(Dimension.Environment, p.Dimension);
        Assert.DoesNotContain(p.Filters, f => f.Kind == FilterKind.Environment);
    }

    [Fact]
    public void Nouns_of_what_the_layer_has_work_creation_and_a_story_point_size()
    {
        // "work" is the issues the other words name; "issue creation" is issues created; an average of the "story-point size" is of the attribute.
        var p = Planned("how much work did the Mobile team complete in Q3 2026?");
        Assert.Equal("issues_completed", p.Metric.Name);
        Assert.Equal(["Mobile"], Assert.Single(p.Filters, f => f.Kind == FilterKind.Team).Values);
        Assert.Equal((Dimension.IssueType, "created"), (Planned("issue creation per type over the last 30 days").Dimension, Planned("issue creation per type over the last 30 days").Metric.TimeAttribute));
        p = Planned("average story point size of the bugs fixed last month");
        Assert.Equal((Aggregation.Avg, "story_points", Dimension.None), (p.Metric.Aggregation, p.Metric.Attribute, p.Dimension));
        // Without an average word a story point size still groups; work still needs its own words to be read.
        Assert.Equal(Dimension.StoryPoints, Planned("bugs fixed last month by story point size").Dimension);
        Assert.Null(Plan("how much work is blocked by other teams?").Plan);
    }

    [Fact]
    public void Single_before_a_superlative_and_the_columns_a_listing_shows_anyway()
    {
        var p = Planned("Single most-commented ticket from last month: key and title?");
        Assert.Equal((1, true), (p.Limit, p.Metric.Aggregation == Aggregation.Value));
        // "single" alone first in the question, or before a count of a part, says something the layer does not read: refused.
        Assert.Null(Plan("single PRs merged last week").Plan);
        Assert.Null(Plan("PRs with a single commit merged last week").Plan);
    }
    [Fact]
    public void Unsuccessful_deployments_are_the_failed_and_the_rolled_back_and_plus_joins_values()
    {
        // Session 11: "unsuccessful" was failed only; a rolled-back release did not succeed either.
        foreach (var q in new[]
                 {
                     "how many unsuccessful deployments did we have last month?",
                     "staging releases that were not successful this quarter",
                     "production deploys that didn't succeed, per repo",
                 })
        {
            var status = Assert.Single(Planned(q).Filters, f => f.Kind == FilterKind.Status);
            Assert.Equal(["failed", "rolled_back"], status.Values.Order(StringComparer.Ordinal));
        }
        // "plus" between two values of one filter adds them, as "and"/"or" do.
        var p = Planned("rollbacks plus failures in production last week");
        Assert.Equal(["failed", "rolled_back"], Assert.Single(p.Filters, f => f.Kind == FilterKind.Status).Values.Order(StringComparer.Ordinal));
        // Nearby: failed alone is failed; "plus" between other things stays unread; a deployment's status said of incidents is
        // read by the incident's own phrase (failed), and "unsuccessful" there is not (refused rather than failed only).
        Assert.Equal(["failed"], Assert.Single(Planned("failed deployments last month").Filters, f => f.Kind == FilterKind.Status).Values);
        Assert.Null(Plan("deployments plus incidents last month").Plan);
        Assert.Null(Plan("incidents caused by unsuccessful deployments this year").Plan);
    }
}
