using StrategicAgent.Semantic;
using Xunit;

namespace StrategicAgent.Semantic.Tests;

/// <summary>What the lexicon reads in questions, independently of any planner.</summary>
public sealed class LexiconTests
{
    private static readonly SemanticModel Model = SemanticModel.Default;
    private static readonly DateOnly Today = new(2026, 11, 1);

    private static List<string> Concepts(string question) =>
        Model.Lexicon.Scan(question, Today).Select(h => $"{h.Entry.Kind}:{h.Entry.Target}").ToList();

    [Fact]
    public void Conditions_groupings_and_events_are_all_read()
    {
        var c = Concepts("PRs merged with no review, per repo");
        Assert.Contains("Entity:pull_request", c);
        Assert.Contains("Event:merged", c);
        Assert.Contains("Filter:unreviewed", c);
        Assert.Contains("GroupingCue:by", c);
        Assert.Contains("Grouping:repository", c);
    }

    [Theory]
    [InlineData("time to merge for big PRs (over 30 files)", "Metric:time_to_merge_avg_hours", "Comparator:GreaterThan", "Attribute:changed_files")]
    [InlineData("how many releases failed last week", "Entity:deployment", "Filter:failed", "Window:last_week")]
    [InlineData("issues nobody is assigned to", "Entity:issue", "Filter:unassigned", null)]
    [InlineData("what fraction of PRs are merged the same day", "Measure:share", "Filter:merged_same_day", null)]
    [InlineData("average number of commits per PR by repo", "Measure:avg", "Attribute:commit_count", "Grouping:repository")]
    [InlineData("the oldest open bug", "Listing:oldest", "Filter:not_done", null)]
    [InlineData("which authors opened the most PRs", "Grouping:author", "Event:opened", "Order:desc")]
    [InlineData("incidents by severity this quarter", "Grouping:severity", "Window:this_quarter", "Entity:incident")]
    [InlineData("sev1 incidents in production", "Filter:sev1", "Filter:production", null)]
    [InlineData("open stories that haven't been estimated", "Filter:unestimated", "Filter:not_done", null)]
    [InlineData("PRs closed without merge this year", "Filter:closed_unmerged", "Window:this_year", null)]
    [InlineData("top 5 pull requests by number of files changed", "Order:top", "Attribute:changed_files", "GroupingCue:by")]
    [InlineData("incidents this year came from deploys of payments-service", "Filter:linked", "Entity:incident", null)]
    [InlineData("DORA lead time for changes by repo", "Metric:change_lead_time_median_hours", "Grouping:repository", null)]
    [InlineData("the median time for a PR to be merged", "Measure:median", "Measure:duration", "Event:merged")]
    [InlineData("per incident severity, median hours to resolution", "Measure:duration", "Grouping:severity", null)]
    [InlineData("which open bug was created first?", "Listing:oldest", "Filter:not_done", null)]
    [InlineData("the five most active PR authors this quarter", "Order:desc", "Grouping:author", "Window:this_quarter")]
    public void Everyday_phrasings_map_to_concepts(string question, string a, string b, string? c)
    {
        var concepts = Concepts(question);
        Assert.Contains(a, concepts);
        Assert.Contains(b, concepts);
        if (c is not null)
        {
            Assert.Contains(c, concepts);
        }
    }

    [Fact]
    public void Hits_are_ordered_and_longest_first_at_a_position()
    {
        var hits = Model.Lexicon.Scan("Lead time for changes by team", Today);
        var first = hits[0];
        Assert.Equal(ConceptKind.Metric, first.Entry.Kind);
        Assert.Equal("change_lead_time_median_hours", first.Entry.Target);
        Assert.Equal("lead time for changes", first.Text);
        Assert.Contains(hits, h => h.Entry.Target == "lead_time_avg_days" && h.Start == 0 && h.Length < first.Length);
    }

    [Fact]
    public void Two_periods_are_two_windows()
    {
        // Periods of two units stay two; adjacent ones of one unit compared are one window (below).
        var windows = Model.Lexicon.Scan("deployments last month vs this year", Today).Where(h => h.Entry.Kind == ConceptKind.Window).ToList();
        Assert.Equal(["last_month", "this_year"], windows.Select(w => w.Entry.Target));
        windows = Model.Lexicon.Scan("deployments last month vs this month", Today).Where(h => h.Entry.Kind == ConceptKind.Window).ToList();
        Assert.Equal([TimeWindowParser.ComparedPrefix + "month"], windows.Select(w => w.Entry.Target));
    }

    [Fact]
    public void A_bare_reviews_is_no_measure_of_review_cycles()
    {
        // "who reviews the most PRs" asks about reviewers, which are not recorded: never the authors' review cycles.
        Assert.DoesNotContain("Attribute:review_cycles", Concepts("who reviews the most PRs?"));
        Assert.Contains("Attribute:review_cycles", Concepts("PRs with more than 3 review rounds"));
    }

    [Fact]
    public void Words_are_tokens_and_function_words_are_data()
    {
        var tokens = Lexicon.Tokenize(Lexicon.Normalize("What's team Data’s  lead-time for api-gateway?"));
        Assert.Equal(["what", "team", "data", "lead-time", "for", "api-gateway"], tokens.Select(t => t.Text));
        // A contracted auxiliary is not a word of its own; a contracted negation is kept whole (it changes the meaning).
        tokens = Lexicon.Tokenize(Lexicon.Normalize("Who've we've they're I'd don't isn't"));
        Assert.Equal(["who", "we", "they", "i", "don't", "isn't"], tokens.Select(t => t.Text));
        Assert.Empty(Lexicon.Tokenize("      've"));
        Assert.False(Model.Lexicon.IsStopWord("don't"));
        Assert.True(Model.Lexicon.IsStopWord("the"));
        foreach (var meaningful in new[] { "without", "not", "no", "failed", "big", "since", "before", "recent", "weekend", "per", "by" })
        {
            Assert.False(Model.Lexicon.IsStopWord(meaningful), meaningful);
        }
    }

    [Fact]
    public async Task Refusals_get_up_to_three_nearest_catalog_questions()
    {
        var s = await new LexicalSuggester(Model).SuggestAsync("PRs merged on weekends by repo", 3, TestContext.Current.CancellationToken);
        Assert.InRange(s.Count, 1, 3);
        Assert.Contains(s, x => x.Metric is "prs_merged" or "prs_opened");
        Assert.All(s, x => Assert.Contains(x.Question, Model.Metrics.SelectMany(m => m.Examples)));
    }
}

/// <summary>Time phrases → half-open UTC day windows relative to an injected today.</summary>
public sealed class TimeWindowTests
{
    private static readonly DateOnly Today = new(2026, 11, 1);

    [Theory]
    [InlineData("issues created since September 1, 2026", "2026-09-01", "2026-11-02")]
    [InlineData("from 1 Sep 2026 onwards", "2026-09-01", "2026-11-02")]
    [InlineData("since the beginning of June 2026", "2026-06-01", "2026-11-02")]
    [InlineData("closed since January 1st this year", "2026-01-01", "2026-11-02")]
    [InlineData("between March 1, 2026 and 2026-03-31", "2026-03-01", "2026-04-01")]
    [InlineData("over the last three complete months", "2026-08-01", "2026-11-01")]
    [InlineData("for the 3 full months before this one", "2026-08-01", "2026-11-01")]
    [InlineData("in each of the last 2 whole weeks (not counting the current week)", "2026-10-12", "2026-10-26")]
    [InlineData("quarter to date", "2026-10-01", "2026-11-02")]
    [InlineData("last 90 days", "2026-08-04", "2026-11-02")]
    // A month without a year is the latest such day not after today.
    [InlineData("issues opened since September 1st", "2026-09-01", "2026-11-02")]
    [InlineData("tickets raised since 1 September", "2026-09-01", "2026-11-02")]
    [InlineData("issues created from September onwards", "2026-09-01", "2026-11-02")]
    [InlineData("velocity since June", "2026-06-01", "2026-11-02")]
    [InlineData("bugs since December 3rd", "2025-12-03", "2026-11-02")]
    // A quarter or month without a year is the latest that has begun; "since the start of the year" is this year so far.
    [InlineData("story points completed in Q3", "2026-07-01", "2026-10-01")]
    [InlineData("bugs created in Q4", "2026-10-01", "2027-01-01")]
    [InlineData("PRs merged in September", "2026-09-01", "2026-10-01")]
    [InlineData("incidents during December", "2025-12-01", "2026-01-01")]
    [InlineData("deployments since the start of the year", "2026-01-01", "2026-11-02")]
    [InlineData("issues completed from the beginning of this quarter", "2026-10-01", "2026-11-02")]
    // Abbreviated units, a fortnight, ordinal days and "<month> this year" (dev-extension-2's voices).
    [InlineData("bugs created last qtr", "2026-07-01", "2026-10-01")]
    [InlineData("PRs merged so far this qtr", "2026-10-01", "2026-11-02")]
    [InlineData("issues done last wk", "2026-10-19", "2026-10-26")]
    [InlineData("bugs raised last mo", "2026-10-01", "2026-11-01")]
    [InlineData("deploys over the past 2 wks", "2026-10-19", "2026-11-02")]
    [InlineData("incidents this yr", "2026-01-01", "2026-11-02")]
    [InlineData("epics completed per team, previous qtr", "2026-07-01", "2026-10-01")]
    [InlineData("incidents in the past fortnight", "2026-10-19", "2026-11-02")]
    [InlineData("tickets opened since the first of September 2026", "2026-09-01", "2026-11-02")]
    [InlineData("bugs since the twenty-first of June", "2026-06-21", "2026-11-02")]
    [InlineData("epics we closed since January this year", "2026-01-01", "2026-11-02")]
    [InlineData("PRs merged in March last year", "2025-03-01", "2025-04-01")]
    [InlineData("bugs fixed this quarter versus last quarter", "2026-07-01", "2026-11-02")]
    [InlineData("deploys last wk vs this wk so far", "2026-10-19", "2026-11-02")]
    [InlineData("how do epics opened in the current month compare to last month", "2026-10-01", "2026-11-02")]
    public void Phrases_become_windows(string text, string from, string to)
    {
        var w = Assert.Single(TimeWindowParser.ParseAll(text.ToLowerInvariant(), Today)).Window;
        Assert.Equal((DateOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(to, System.Globalization.CultureInfo.InvariantCulture)),
            (DateOnly.FromDateTime(w.From.UtcDateTime), DateOnly.FromDateTime(w.To.UtcDateTime)));
    }

    [Theory]
    [InlineData("deployments since marketing asked")]
    [InlineData("PRs from mary")]
    public void A_word_that_starts_like_a_month_is_no_date(string text) =>
        Assert.Empty(TimeWindowParser.ParseAll(text.ToLowerInvariant(), Today));

    [Fact]
    public void A_range_of_months_without_a_year_is_not_read_as_a_range()
    {
        // "between March and June" would need the end of June; only the first month's start is a date (then "june" is left over).
        var w = Assert.Single(TimeWindowParser.ParseAll("deployments from march to june", Today));
        Assert.Equal("from march", "deployments from march to june".Substring(w.Index, w.Length));
    }

    [Fact]
    public void Two_adjacent_periods_compared_are_one_window_by_their_unit_and_any_other_pair_stays_two()
    {
        // Only a comparison word between "this" and "last" of one unit joins them (session 9); the code names the unit.
        var w = Assert.Single(TimeWindowParser.ParseAll("incidents this month against last month", Today)).Window;
        Assert.Equal(TimeWindowParser.ComparedPrefix + "month", w.Code);
        Assert.Equal(2, TimeWindowParser.ParseAll("incidents this month vs the same month last year", Today).Count);
        Assert.Equal(2, TimeWindowParser.ParseAll("bugs opened this month and fixed last month", Today).Count);
        Assert.Equal(2, TimeWindowParser.ParseAll("prs merged this week vs last month", Today).Count);
        Assert.Equal(2, TimeWindowParser.ParseAll("deploys this year vs last year", Today).Count);
    }
}
