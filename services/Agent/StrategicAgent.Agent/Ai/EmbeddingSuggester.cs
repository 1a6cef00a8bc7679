using Microsoft.Extensions.Logging;
using StrategicAgent.Agent.Domain.Loop;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// "Nearest questions I can answer" by meaning (issue 10 §5): the catalog's example questions and the refused
/// question as all-MiniLM-L6-v2 sentence vectors (the agent's one embedding component, <see cref="ISentenceEmbeddings"/>),
/// ranked by cosine
/// similarity, one example per metric, those at or above <see cref="MinSimilarity"/>; places left are filled by the
/// lexical ranking (<see cref="LexicalSuggester"/>). The examples are embedded once, on first use. If the model cannot
/// run, the lexical ranking answers and the failure is logged once. Suggestions help the caller rephrase; they never
/// turn an unmatched word into an answer (the reader has already refused).
/// </summary>
public sealed partial class EmbeddingSuggester : IQuestionSuggester
{
    /// <summary>Below this cosine an example is not offered on meaning alone (unrelated sentences score 0–0.25 with this model).</summary>
    public const double MinSimilarity = 0.35;

    private readonly IQuestionSuggester _lexical;
    private readonly ISentenceEmbeddings _embeddings;
    private readonly ILogger _logger;
    private readonly Lazy<Index?> _index;

    private sealed record Index(IReadOnlyList<(string Question, string Metric)> Examples, float[][] Vectors);

    public EmbeddingSuggester(SemanticModel model, ISentenceEmbeddings embeddings, ILogger<EmbeddingSuggester> logger)
    {
        _lexical = new LexicalSuggester(model);
        _embeddings = embeddings;
        _logger = logger;
        _index = new Lazy<Index?>(() => Build(model), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Whether the model runs here (loads it and embeds the examples on first call).</summary>
    public bool Available => _index.Value is not null;

    public async ValueTask<IReadOnlyList<Suggestion>> SuggestAsync(string question, int max, CancellationToken ct)
    {
        var lexical = await _lexical.SuggestAsync(question, max, ct);
        if (max <= 0 || _index.Value is not { } index)
        {
            return lexical;
        }
        if (_embeddings.Embed([question], ct) is not [var q])
        {
            return lexical;
        }
        var byMeaning = index.Examples
            .Select((e, i) => (e, Score: SentenceVectors.Cosine(q, index.Vectors[i]), i))
            .Where(x => x.Score >= MinSimilarity)
            .OrderByDescending(x => x.Score)
            .ThenBy(x => x.i)
            .DistinctBy(x => x.e.Metric)
            .Take(max)
            .Select(x => new Suggestion(x.e.Question, x.e.Metric, Math.Round(x.Score, 3)))
            .ToList();
        foreach (var s in lexical)
        {
            if (byMeaning.Count >= max)
            {
                break;
            }
            if (byMeaning.All(b => b.Metric != s.Metric))
            {
                byMeaning.Add(s);
            }
        }
        return byMeaning;
    }

    private Index? Build(SemanticModel model)
    {
        var examples = model.Metrics.SelectMany(m => m.Examples.Select(q => (q, m.Name))).ToList();
        // One sentence per run, as every other embedding the agent makes: ONNX Runtime's arena grows to the largest run
        // and never gives it back, and the 43 examples as one batch grew the agent by ≈ 67 MB for its life (≈ 8 MB one by
        // one); one by one is also faster (no padding to the longest example). docs/agent.md, "Memory".
        var vectors = new float[examples.Count][];
        for (var i = 0; i < examples.Count; i++)
        {
            if (_embeddings.Embed([examples[i].q], CancellationToken.None) is not [var v])
            {
                return null;
            }
            vectors[i] = v;
        }
        LogReady(_logger, examples.Count, _embeddings.Model);
        return new Index(examples, vectors);
    }

    [LoggerMessage(LogLevel.Information, "Suggestions by meaning: {Examples} catalog examples embedded ({Model})")]
    private static partial void LogReady(ILogger logger, int examples, string model);
}
