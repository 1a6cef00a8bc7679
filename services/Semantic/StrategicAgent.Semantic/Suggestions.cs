namespace StrategicAgent.Semantic;

/// <summary>A question the agent can answer, offered instead of one it cannot, and why it is near.</summary>
public sealed record Suggestion(string Question, string Metric, double Score);

/// <summary>
/// "Nearest questions I can answer": ranks answerable questions (the catalog's examples, phrased in
/// its own words) by closeness to a question the agent refused. Lexical today
/// (<see cref="LexicalSuggester"/>); a sentence-embedding ranking can stand behind the same
/// interface. Suggestions help the caller rephrase; they never turn an unmatched word into an answer.
/// </summary>
public interface IQuestionSuggester
{
    ValueTask<IReadOnlyList<Suggestion>> SuggestAsync(string question, int max, CancellationToken ct);
}

/// <summary>
/// Lexical nearest questions: every catalog example is read through the lexicon once; a question
/// is scored by the concepts (metric, entity, attribute, filter, grouping, measure, listing) it
/// shares with an example (weighted) plus plain word overlap, ties broken by catalog order.
/// </summary>
public sealed class LexicalSuggester : IQuestionSuggester
{
    private readonly SemanticModel _model;
    private readonly IReadOnlyList<(string Question, string Metric, HashSet<string> Concepts, HashSet<string> Words)> _examples;

    public LexicalSuggester(SemanticModel model)
    {
        _model = model;
        var today = new DateOnly(2000, 1, 1);
        _examples = model.Metrics
            .SelectMany(m => m.Examples.Select(q => (q, m.Name)))
            .Select(x => (x.q, x.Name, Concepts(model, x.q, today), ContentWords(model, x.q)))
            .ToList();
    }

    public ValueTask<IReadOnlyList<Suggestion>> SuggestAsync(string question, int max, CancellationToken ct)
    {
        var concepts = Concepts(_model, question, new DateOnly(2000, 1, 1));
        var words = ContentWords(_model, question);
        IReadOnlyList<Suggestion> ranked = _examples
            .Select((e, i) => (e, i, Score: 2.0 * Overlap(concepts, e.Concepts) + Overlap(words, e.Words)))
            .Where(x => x.Score > 0)
            .OrderByDescending(x => x.Score)
            .ThenBy(x => x.i)
            .DistinctBy(x => x.e.Metric)
            .Take(max)
            .Select(x => new Suggestion(x.e.Question, x.e.Metric, Math.Round(x.Score, 3)))
            .ToList();
        return ValueTask.FromResult(ranked);
    }

    private static double Overlap(HashSet<string> a, HashSet<string> b) =>
        a.Count == 0 || b.Count == 0 ? 0 : (double)a.Count(b.Contains) / Math.Sqrt(a.Count * (double)b.Count);

    private static HashSet<string> Concepts(SemanticModel model, string question, DateOnly today) =>
        model.Lexicon.Scan(question, today)
            .Where(h => h.Entry.Kind is not (ConceptKind.Window or ConceptKind.GroupingCue or ConceptKind.Comparator))
            .Select(h => $"{h.Entry.Kind}:{h.Entry.Entity}:{h.Entry.Target}")
            .ToHashSet(StringComparer.Ordinal);

    private static HashSet<string> ContentWords(SemanticModel model, string question) =>
        Lexicon.Tokenize(Lexicon.Normalize(question))
            .Select(t => t.Text.TrimEnd('s'))
            .Where(t => t.Length > 1 && !model.Lexicon.IsStopWord(t))
            .ToHashSet(StringComparer.Ordinal);
}
