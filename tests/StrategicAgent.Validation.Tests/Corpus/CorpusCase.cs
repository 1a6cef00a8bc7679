using System.Text;
using System.Text.Json;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Tests.Corpus;

/// <summary>One annotated query of Corpus/corpus.sql.</summary>
public sealed record CorpusCase(string Id, string Sql, IReadOnlySet<string> Expected, bool NeedsReplica, string Question, QueryIntent? Intent)
{
    public override string ToString() => Id;
}

public static class CorpusFile
{
    public static readonly string[] StaticCodes =
    [
        Codes.SyntaxError, Codes.MultipleStatements, Codes.NotReadOnly, Codes.UnknownTable, Codes.UnknownColumn,
        Codes.ForbiddenFunction, Codes.MissingTenantFilter, Codes.MissingLimit,
    ];

    public static readonly string[] CostCodes = [Codes.TooExpensive, Codes.PlanError];

    public static readonly string[] SemanticCodes = [Codes.SemanticMismatch, Codes.JudgeUnavailable];

    public static IReadOnlyList<CorpusCase> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Corpus", "corpus.sql");
        var cases = new List<CorpusCase>();
        string? id = null;
        var expected = new HashSet<string>();
        var replica = false;
        var question = "";
        QueryIntent? intent = null;
        var sql = new StringBuilder();

        void Flush()
        {
            if (id is not null)
            {
                cases.Add(new CorpusCase(id, sql.ToString().Trim(), expected, replica, question, intent));
            }
            sql.Clear();
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("-- @case ", StringComparison.Ordinal))
            {
                Flush();
                var parts = line["-- @case ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                id = parts[0];
                replica = parts.Contains("replica");
                var exp = parts.First(p => p.StartsWith("expect=", StringComparison.Ordinal))["expect=".Length..];
                expected = exp.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
                question = "";
                intent = null;
            }
            else if (line.StartsWith("-- @question ", StringComparison.Ordinal))
            {
                question = line["-- @question ".Length..].Trim();
            }
            else if (line.StartsWith("-- @intent ", StringComparison.Ordinal))
            {
                intent = ParseIntent(line["-- @intent ".Length..]);
            }
            else if (id is not null)
            {
                sql.AppendLine(line);
            }
        }
        Flush();
        return cases;
    }

    public static QueryIntent ParseIntent(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        string S(string n) => r.TryGetProperty(n, out var v) ? v.GetString() ?? "" : "";
        List<string> L(string n) => r.TryGetProperty(n, out var v) ? v.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [];
        return new QueryIntent
        {
            Metric = S("metric"),
            Aggregate = S("aggregate"),
            GroupBy = L("group_by"),
            Filters = L("filters"),
            TimeWindow = S("time_window"),
            TimeColumn = S("time_column"),
            Ordering = S("ordering"),
            Limit = r.TryGetProperty("limit", out var l) ? l.GetInt32() : 0,
            ResultShape = S("result_shape"),
        };
    }
}

/// <summary>Precision and recall per code over a corpus run.</summary>
public sealed class CorpusScore
{
    private readonly List<(CorpusCase Case, IReadOnlySet<string> Expected, IReadOnlySet<string> Actual, string Detail)> _runs = [];

    public int Count => _runs.Count;

    public void Add(CorpusCase c, IReadOnlySet<string> expected, IReadOnlySet<string> actual, string detail = "") => _runs.Add((c, expected, actual, detail));

    public IEnumerable<string> Mismatches =>
        _runs.Where(r => !r.Expected.SetEquals(r.Actual))
            .Select(r => $"{r.Case.Id}: expected [{string.Join(",", r.Expected.Order())}] got [{string.Join(",", r.Actual.Order())}] {r.Detail}");

    public string Report(IEnumerable<string> codes, out bool perfect)
    {
        perfect = true;
        var sb = new StringBuilder();
        sb.AppendLine($"{"code",-24}{"support",8}{"TP",6}{"FP",6}{"FN",6}{"precision",11}{"recall",9}");
        foreach (var code in codes)
        {
            var tp = _runs.Count(r => r.Expected.Contains(code) && r.Actual.Contains(code));
            var fp = _runs.Count(r => !r.Expected.Contains(code) && r.Actual.Contains(code));
            var fn = _runs.Count(r => r.Expected.Contains(code) && !r.Actual.Contains(code));
            var precision = tp + fp == 0 ? 1.0 : (double)tp / (tp + fp);
            var recall = tp + fn == 0 ? 1.0 : (double)tp / (tp + fn);
            if (fp > 0 || fn > 0)
            {
                perfect = false;
            }
            sb.AppendLine($"{code,-24}{tp + fn,8}{tp,6}{fp,6}{fn,6}{precision,11:P1}{recall,9:P1}");
        }
        var clean = _runs.Count(r => r.Expected.Count == 0);
        var cleanOk = _runs.Count(r => r.Expected.Count == 0 && r.Actual.Count == 0);
        sb.AppendLine($"cases: {_runs.Count}; clean cases passed clean: {cleanOk}/{clean}");
        return sb.ToString();
    }
}
