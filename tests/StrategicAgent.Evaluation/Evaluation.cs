using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace StrategicAgent.Evaluation;

public sealed record GradedQuestion(CorpusIntent Intent, CorpusQuestion Question, AgentAnswer Answer, Grade Grade, double Ms);

/// <summary>Runs a corpus against an answer source and grades every question against its intent's gold.</summary>
public static class Evaluator
{
    /// <summary>
    /// Gold SQL runs once per intent; questions are asked <paramref name="parallelism"/> at a time. A gold
    /// query that fails grades its questions <see cref="Verdict.Error"/> (the corpus is broken, not the agent).
    /// </summary>
    public static async Task<EvaluationReport> RunAsync(IReadOnlyList<CorpusIntent> intents, GoldRunner gold, IAnswerSource source,
        int parallelism = 2, Action<GradedQuestion>? progress = null, CancellationToken ct = default)
    {
        var golds = new Dictionary<string, (GoldResult? Result, string? Error)>();
        foreach (var intent in intents.Where(i => !i.IsTrap))
        {
            try
            {
                golds[intent.Intent] = (await gold.RunGoldAsync(intent, ct), null);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
            {
                golds[intent.Intent] = (null, e.Message);
            }
        }
        var work = intents.SelectMany(i => i.Questions.Select(q => (Intent: i, Question: q))).ToList();
        var results = new ConcurrentDictionary<int, GradedQuestion>();
        await Parallel.ForEachAsync(Enumerable.Range(0, work.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (n, token) =>
        {
            var (intent, question) = work[n];
            var sw = Stopwatch.StartNew();
            var answer = await source.AskAsync(question.Text, token);
            var ms = sw.Elapsed.TotalMilliseconds;
            var grade = !intent.IsTrap && golds[intent.Intent].Error is { } error
                ? new Grade(Verdict.Error, "the gold SQL failed: " + error)
                : Grader.Grade(intent, intent.IsTrap ? null : golds[intent.Intent].Result, answer);
            var graded = new GradedQuestion(intent, question, answer, grade, ms);
            results[n] = graded;
            progress?.Invoke(graded);
        });
        return new EvaluationReport(Enumerable.Range(0, work.Count).Select(n => results[n]).ToList());
    }
}

/// <summary>The figures of an evaluation: right / refused / wrong per family, per class and overall, traps, and the wrong answers.</summary>
public sealed partial class EvaluationReport(IReadOnlyList<GradedQuestion> questions)
{
    public const double TargetWrongMax = 0.01;
    public const double TargetRightMin = 0.85;

    public IReadOnlyList<GradedQuestion> Questions => questions;

    public IReadOnlyList<GradedQuestion> Answerable => questions.Where(q => !q.Intent.IsTrap).ToList();

    public IReadOnlyList<GradedQuestion> Traps => questions.Where(q => q.Intent.IsTrap).ToList();

    public int Count(Verdict v, bool traps = false) => (traps ? Traps : Answerable).Count(q => q.Grade.Verdict == v);

    public double Share(Verdict v, bool traps = false)
    {
        var n = (traps ? Traps : Answerable).Count;
        return n == 0 ? 0 : (double)Count(v, traps) / n;
    }

    public bool TargetsMet =>
        Share(Verdict.Wrong) <= TargetWrongMax && Share(Verdict.Right) >= TargetRightMin && Traps.All(t => t.Grade.Verdict == Verdict.Right);

    /// <summary>Markdown tables; with <paramref name="failures"/> also every wrong answer with its question, SQL and why.</summary>
    public string Format(bool failures = true)
    {
        var sb = new StringBuilder();
        var answerable = Answerable;
        sb.AppendLine("| family | questions | right | refused | wrong | error | right % | wrong % |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var f in answerable.GroupBy(q => q.Intent.Family).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Row(sb, f.Key, f.ToList());
        }
        Row(sb, "**answerable, all**", answerable);
        sb.AppendLine();
        var classes = answerable.Where(q => q.Intent.Class is not null).GroupBy(q => q.Intent.Class!).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (classes.Count > 0)
        {
            sb.AppendLine("| class (issue 10) | questions | right | refused | wrong | error | right % | wrong % |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var c in classes)
            {
                Row(sb, c.Key, c.ToList());
            }
            sb.AppendLine();
        }
        var traps = Traps;
        if (traps.Count > 0)
        {
            sb.AppendLine("| traps (must be refused) | questions | refused (right) | answered (wrong) | error |");
            sb.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var c in traps.GroupBy(q => q.Intent.Class ?? "trap").OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                TrapRow(sb, c.Key, c.ToList());
            }
            TrapRow(sb, "**traps, all**", traps);
            sb.AppendLine();
        }
        var trapsRefused = traps.Count == 0 ? 1.0 : (double)traps.Count(t => t.Grade.Verdict == Verdict.Right) / traps.Count;
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Targets: wrong <= 1% of answerable: {Pct(Share(Verdict.Wrong))} ({Met(Share(Verdict.Wrong) <= TargetWrongMax)}); right >= 85%: {Pct(Share(Verdict.Right))} ({Met(Share(Verdict.Right) >= TargetRightMin)}); traps 100% refused: {Pct(trapsRefused)} ({Met(trapsRefused >= 1.0)}).");
        var errors = questions.Where(q => q.Grade.Verdict == Verdict.Error).ToList();
        if (errors.Count > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"\n{errors.Count} question(s) could not be graded, first: [{errors[0].Question.Id}] {errors[0].Grade.Reason}");
        }
        if (failures)
        {
            var wrong = questions.Where(q => q.Grade.Verdict == Verdict.Wrong).ToList();
            if (wrong.Count > 0)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"\nWrong answers ({wrong.Count}):");
                foreach (var w in wrong)
                {
                    sb.AppendLine();
                    sb.AppendLine(CultureInfo.InvariantCulture, $"- [{w.Question.Id}] {w.Question.Text}");
                    if (w.Intent.Must is { } must)
                    {
                        sb.AppendLine(CultureInfo.InvariantCulture, $"  must: {must}");
                    }
                    sb.AppendLine(CultureInfo.InvariantCulture, $"  why:  {w.Grade.Reason}");
                    sb.AppendLine(CultureInfo.InvariantCulture, $"  sql:  {(w.Answer.Sql.Length == 0 ? "(none)" : Spaces().Replace(w.Answer.Sql, " ").Trim())}");
                }
            }
        }
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string name, IReadOnlyList<GradedQuestion> qs)
    {
        int N(Verdict v) => qs.Count(q => q.Grade.Verdict == v);
        double P(Verdict v) => qs.Count == 0 ? 0 : (double)N(v) / qs.Count;
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {qs.Count} | {N(Verdict.Right)} | {N(Verdict.Refused)} | {N(Verdict.Wrong)} | {N(Verdict.Error)} | {Pct(P(Verdict.Right))} | {Pct(P(Verdict.Wrong))} |");
    }

    private static void TrapRow(StringBuilder sb, string name, IReadOnlyList<GradedQuestion> qs) =>
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {qs.Count} | {qs.Count(q => q.Grade.Verdict == Verdict.Right)} | {qs.Count(q => q.Grade.Verdict == Verdict.Wrong)} | {qs.Count(q => q.Grade.Verdict == Verdict.Error)} |");

    private static string Pct(double share) => (100 * share).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Met(bool met) => met ? "met" : "NOT met";

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
