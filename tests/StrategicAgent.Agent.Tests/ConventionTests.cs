using StrategicAgent.Agent.Domain.Planning;
using Xunit;
using static StrategicAgent.Agent.Tests.CoverageTests;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// Conventions the words must fix (session 11): where a question can be read two ways that give different numbers, and its words
/// do not say which, it is refused with both readings offered — each phrased so that it is answered — never one chosen. Pure:
/// the real parser, planner and compiler over the demo-like vocabulary of <see cref="CoverageTests"/>; the numbers of both
/// readings against the data are in <see cref="MeasureTests"/>. Wordings invented here, apart from the corpora.
/// </summary>
public sealed class ConventionTests
{
    private static string Sql(QueryPlan p) => SqlCompiler.Compile(p, 1).Sql;

    [Theory]
    // A share of a threshold on a value the data may leave empty (AttributeDef.KnownWhen): of the rows with a known value, or of
    // every row with the unknown ones outside? The words leave it open.
    [InlineData("what fraction of merged PRs touched over 20 files this quarter?", "pr.changed_files IS NOT NULL")]
    [InlineData("what percentage of done bugs took under 3 days?", "i.total_lead_time_seconds IS NOT NULL")]
    [InlineData("proportion of the stories completed in 2025 that took 5 days or less", "i.total_lead_time_seconds IS NOT NULL")]
    public void A_share_of_a_threshold_on_a_value_that_may_be_unknown_is_refused_with_both_readings(string question, string known)
    {
        var o = Plan(question);
        Assert.Null(o.Plan);
        Assert.Equal(RefusalKind.Unsupported, o.Refusal);
        Assert.Contains("two populations", o.Reason, StringComparison.Ordinal);
        Assert.Equal(2, o.Readings.Count);
        // Each reading is answered, and the two differ exactly in the known value's condition.
        var onlyKnown = Planned(o.Readings[0]);
        var everyRow = Planned(o.Readings[1]);
        Assert.Contains(known, Sql(onlyKnown), StringComparison.Ordinal);
        Assert.DoesNotContain(known, Sql(everyRow), StringComparison.Ordinal);
        Assert.True(everyRow.Subset!.UnknownOutside);
        Assert.Equal(Sql(onlyKnown).Replace($"\n  AND {known}", "", StringComparison.Ordinal), Sql(everyRow));
        Assert.Contains("only (those without one are left out, as asked)", Reading.Of(onlyKnown, Today), StringComparison.Ordinal);
        Assert.Contains("counted as outside the threshold, as asked", Reading.Of(everyRow, Today), StringComparison.Ordinal);
    }

    [Fact]
    public void Words_that_fix_the_population_are_answered()
    {
        // The known rows, said in the rows' own words ("with a known file count", "whose lead time is recorded").
        var p = Planned("what fraction of merged PRs with a known file count touched over 20 files this quarter?");
        Assert.Contains(Condition.Of("has_changed_files"), p.Conditions);
        Assert.Equal(20m, Assert.Single(p.Subset!.Conditions).Values[0]);
        Assert.False(p.Subset.UnknownOutside);
        p = Planned("of the done bugs whose cycle time is recorded, what percentage took under 3 days?");
        Assert.Contains(Condition.Of("has_lead_time"), p.Conditions);
        Assert.Contains("i.total_lead_time_seconds IS NOT NULL", Sql(p), StringComparison.Ordinal);
        // Every row, the unknown counted outside — the threshold said again in other words, or "outside it".
        p = Planned("what fraction of all merged PRs touched over 20 files this quarter, counting unknown as not more than 20?");
        Assert.True(p.Subset!.UnknownOutside);
        Assert.DoesNotContain("changed_files IS NOT NULL", Sql(p), StringComparison.Ordinal);
        p = Planned("percentage of done bugs that took under 3 days, counting bugs without a lead time as outside it");
        Assert.True(p.Subset!.UnknownOutside);
        Assert.DoesNotContain("total_lead_time_seconds IS NOT NULL", Sql(p), StringComparison.Ordinal);
        // A threshold that picks the rows (not a share) and a share of a value never unknown that way are answered as before.
        Assert.NotNull(Plan("how many merged PRs touched over 20 files this quarter?").Plan);
        Assert.False(Planned("what fraction of incidents got resolved within 6 hours?").Subset!.UnknownOutside);
    }

    [Fact]
    public void The_counting_phrase_is_read_only_of_the_threshold_it_repeats()
    {
        // Another number than the threshold's, or no share of a threshold at all: the phrase is left over, refused.
        var o = Plan("what fraction of all merged PRs touched over 20 files this quarter, counting unknown as not over 30?");
        Assert.Equal(RefusalKind.UnknownWords, o.Refusal);
        Assert.Contains("counting unknown as not over 30", o.Unknown);
        Assert.Equal(RefusalKind.UnknownWords, Plan("how many merged PRs this quarter, counting unknown as not over 20?").Refusal);
        Assert.Equal(RefusalKind.UnknownWords, Plan("what share of incidents were sev1 this year, counting unknown as outside it?").Refusal);
    }

    [Theory]
    // What came in and what went out: two measures (created, completed) in one question; one number would drop the other.
    [InlineData("tickets in vs tickets out this quarter")]
    [InlineData("how many defects came in and went out last week?")]
    [InlineData("stories in / out per month this year")]
    public void In_and_out_asks_for_two_measures_and_is_refused(string question)
    {
        var o = Plan(question);
        Assert.Null(o.Plan);
        Assert.Equal(RefusalKind.Unsupported, o.Refusal);
        Assert.Contains("two numbers at once", o.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void In_without_out_is_read_as_before()
    {
        Assert.NotNull(Plan("how many issues are in progress, by team?").Plan);
        Assert.NotNull(Plan("bugs created in October").Plan);
    }
}
