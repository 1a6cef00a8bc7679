using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StrategicAgent.Agent.Ai;
using StrategicAgent.Protos.Agent.V1;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// "Nearest questions I can answer" by meaning: the real all-MiniLM-L6-v2 model (inside the NuGet assembly, offline)
/// over the catalog's examples, against the lexical ranking, and in the agent's real host.
/// </summary>
public sealed class EmbeddingSuggesterTests(AgentFixture db, ITestOutputHelper output)
{
    /// <summary>Refused (outages on weekends are not in the data); shares no content word with the restore-time examples.</summary>
    private const string Outage = "how long does it take us to get back on our feet after an outage on weekends";

    private static readonly EmbeddingSuggester Suggester = new(SemanticModel.Default, Embeddings.Shared, NullLogger<EmbeddingSuggester>.Instance);

    private static readonly IReadOnlySet<string> Examples = SemanticModel.Default.Metrics.SelectMany(m => m.Examples).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public async Task Offers_by_meaning_what_the_words_alone_miss()
    {
        var ct = TestContext.Current.CancellationToken;
        // "How long do code changes wait before they land" is the DORA lead time for changes; by its words ("how long",
        // "changes") the lexical ranking offers restore and merge times and not that.
        const string q = "how long do code changes sit waiting before they land";
        var byMeaning = await Suggester.SuggestAsync(q, 3, ct);
        var byWords = await new LexicalSuggester(SemanticModel.Default).SuggestAsync(q, 3, ct);
        output.WriteLine("meaning: " + string.Join(" | ", byMeaning.Select(s => $"{s.Metric} {s.Score}: {s.Question}")));
        output.WriteLine("words:   " + string.Join(" | ", byWords.Select(s => $"{s.Metric} {s.Score}: {s.Question}")));

        Assert.True(Suggester.Available);
        Assert.Equal("change_lead_time_median_hours", byMeaning[0].Metric);
        Assert.True(byMeaning[0].Score >= EmbeddingSuggester.MinSimilarity, $"score {byMeaning[0].Score}");
        Assert.DoesNotContain(byWords, s => s.Metric == "change_lead_time_median_hours");
        Assert.InRange(byMeaning.Count, 1, 3);
        Assert.Equal(byMeaning.Count, byMeaning.Select(s => s.Metric).Distinct().Count());
        Assert.All(byMeaning, s => Assert.Contains(s.Question, Examples));
    }

    [Fact]
    public async Task A_question_near_nothing_gets_the_lexical_ranking_only()
    {
        var ct = TestContext.Current.CancellationToken;
        const string q = "what will the weather be like in Paris tomorrow";
        var byMeaning = await Suggester.SuggestAsync(q, 3, ct);
        var byWords = await new LexicalSuggester(SemanticModel.Default).SuggestAsync(q, 3, ct);
        output.WriteLine("meaning: " + string.Join(" | ", byMeaning.Select(s => $"{s.Metric} {s.Score}: {s.Question}")));
        Assert.Equal(byWords.Select(s => s.Question), byMeaning.Select(s => s.Question));
    }

    [Fact]
    public async Task The_agent_host_offers_them_with_a_refusal_and_the_lexical_ranking_is_a_setting()
    {
        var ct = TestContext.Current.CancellationToken;
        // A refusal runs no SQL: no validation service is needed.
        await using (var host = await AgentHost.StartAsync(db, "http://127.0.0.1:1"))
        {
            Assert.IsType<EmbeddingSuggester>(host.Services.GetRequiredService<IQuestionSuggester>());
            var r = await host.ClientFor(1).AskAsync(new AskRequest { Question = Outage }, cancellationToken: ct);
            output.WriteLine(r.Answer);
            Assert.Equal(AnswerStatus.Refused, r.Status);
            Assert.Empty(r.RowsJson);
            var offered = r.Answer.Split('\n').Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
            Assert.InRange(offered.Count, 1, 3);
            Assert.All(offered, o => Assert.Contains(o, Examples));
            Assert.Contains(offered, o => SemanticModel.Default.Metrics.Any(m => m.Name.StartsWith("time_to_restore", StringComparison.Ordinal) && m.Examples.Contains(o)));
        }
        await using (var host = await AgentHost.StartAsync(db, "http://127.0.0.1:1", new Dictionary<string, string?> { ["Agent:Suggestions"] = "Lexical" }))
        {
            Assert.IsType<LexicalSuggester>(host.Services.GetRequiredService<IQuestionSuggester>());
        }
    }
}
