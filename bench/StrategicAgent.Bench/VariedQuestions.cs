using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using StrategicAgent.Evaluation;

namespace StrategicAgent.Bench;

/// <summary>What one ask came back with: an error (HTTP error, exception, status failed), a refusal, or an answer — and whether its rows came from the agent's result cache.</summary>
internal readonly record struct AskOutcome(string? Error, bool Refused, bool CacheHit)
{
    public static AskOutcome Answered(bool cacheHit) => new(null, false, cacheHit);

    public static AskOutcome Failed(string error) => new(error, false, false);
}

/// <summary>
/// The questions of <c>bench agent</c> by default: every wording of every answerable intent of the corpus
/// (<c>tests/corpus/agent</c>, both halves — a benchmark tunes nothing), each made a template by cutting out its
/// time window (or, without one, by adding one). Every ask fills the slot with a random window — the last N days or
/// weeks, since a date, between two dates — so the same SQL seldom comes twice and the agent's result cache can
/// answer little: the bench prints how much it did. Templates whose first variant is not answered (refusals of the
/// corpus's harder intents, windows a metric does not take) are left out before measuring, and the count is printed.
/// </summary>
internal sealed partial class VariedQuestions
{
    private sealed record Template(string Intent, string Family, string Before, string After);

    private readonly DateOnly _today;
    private List<Template> _templates;

    private VariedQuestions(List<Template> templates, DateOnly today)
    {
        _templates = templates;
        _today = today;
    }

    public int Count => _templates.Count;

    /// <summary>Whether <see cref="KeepAnsweredAsync"/> has chosen the templates.</summary>
    public bool Chosen { get; private set; }

    /// <summary>Templates from the answerable intents of both corpus halves; windows are drawn relative to <paramref name="today"/>.</summary>
    public static VariedQuestions FromCorpus(DateOnly today)
    {
        var templates = new List<Template>();
        foreach (var half in new[] { "dev", "test" })
        {
            foreach (var intent in Corpus.Load(Corpus.ResolvePath(half)).Where(i => !i.IsTrap))
            {
                templates.AddRange(intent.Questions.Select(q => ToTemplate(intent, q.Text)));
            }
        }
        return new VariedQuestions(templates, today);
    }

    /// <summary>The corpus families of the templates.</summary>
    public IReadOnlyList<string> Families => [.. _templates.Select(t => t.Family).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>A random template (of <paramref name="family"/> when given) with a random window.</summary>
    public string Next(Random rng, string? family = null)
    {
        var pool = family is null ? _templates : _templates.Where(t => t.Family == family).ToList();
        var t = pool[rng.Next(pool.Count)];
        return t.Before + Window(rng) + t.After;
    }

    /// <summary>
    /// Asks one variant of every template (<paramref name="parallel"/> at a time) and keeps the templates whose
    /// variant was answered; returns what was kept, per family, for the report.
    /// </summary>
    public async Task<string> KeepAnsweredAsync(Func<string, CancellationToken, Task<AskOutcome>> ask, int parallel, CancellationToken ct)
    {
        var kept = new ConcurrentBag<Template>();
        var rng = new Random(7);
        var tries = _templates.Select(t => (t, Question: t.Before + Window(rng) + t.After)).ToList();
        await Parallel.ForEachAsync(tries, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (x, token) =>
        {
            AskOutcome outcome;
            try
            {
                outcome = await ask(x.Question, token);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                outcome = AskOutcome.Failed(e.Message);
            }
            if (outcome is { Error: null, Refused: false })
            {
                kept.Add(x.t);
            }
        });
        var all = _templates;
        Chosen = true;
        _templates = [.. kept.OrderBy(t => t.Intent, StringComparer.Ordinal).ThenBy(t => t.Before, StringComparer.Ordinal)];
        if (_templates.Count == 0)
        {
            throw new InvalidOperationException($"None of the {all.Count} corpus questions was answered with a varied window: nothing to measure.");
        }
        var families = _templates.GroupBy(t => t.Family).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count()}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"Varied questions: {_templates.Count} of the corpus's {all.Count} answerable wordings ({_templates.Select(t => t.Intent).Distinct().Count()} of {all.Select(t => t.Intent).Distinct().Count()} intents) were answered with a random window and are asked, each with a new random window (last N days or weeks, since a date, between two dates) — by family: {string.Join(", ", families)}.");
    }

    private string Window(Random rng)
    {
        string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        switch (rng.Next(4))
        {
            case 0:
                return string.Create(CultureInfo.InvariantCulture, $"in the last {rng.Next(7, 731)} days");
            case 1:
                return string.Create(CultureInfo.InvariantCulture, $"in the last {rng.Next(2, 105)} weeks");
            case 2:
                return "since " + Day(_today.AddDays(-rng.Next(7, 731)));
            default:
                var from = _today.AddDays(-rng.Next(60, 731));
                var to = from.AddDays(rng.Next(14, 366));
                return $"between {Day(from)} and {Day(to > _today ? _today : to)}";
        }
    }

    private static Template ToTemplate(CorpusIntent intent, string text)
    {
        var m = WindowRegex().Match(text);
        if (m.Success)
        {
            return new Template(intent.Intent, intent.Family, text[..m.Index], text[(m.Index + m.Length)..]);
        }
        var trimmed = text.TrimEnd();
        var question = trimmed.EndsWith('?');
        return new Template(intent.Intent, intent.Family, trimmed.TrimEnd('?', ' ') + " ", question ? "?" : "");
    }

    /// <summary>The time-window phrases the corpus uses (with a leading "in/over/during/for (the)").</summary>
    [GeneratedRegex("""
        \b(?:(?:in|over|during|for)\s+)?(?:the\s+)?(?:
            (?:last|past|previous|trailing)\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+(?:days?|weeks?|months?|quarters?|years?)
          | (?:last|previous|prior|past)\s+(?:week|month|quarter|year)
          | (?:this|current)\s+(?:week|month|quarter|year)
          | (?:year|month|quarter|week)\s+to\s+date | so\s+far\s+this\s+(?:week|month|quarter|year) | ytd | mtd | qtd
          | q[1-4]\s*(?:of\s+)?20\d\d
          | (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+20\d\d
          | since\s+\d{4}-\d{2}-\d{2}
          | between\s+\d{4}-\d{2}-\d{2}\s+and\s+\d{4}-\d{2}-\d{2}
          | 20\d\d
        )\b
        """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex WindowRegex();
}
