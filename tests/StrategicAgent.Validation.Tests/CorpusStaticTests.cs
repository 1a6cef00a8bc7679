using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Tests.Corpus;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>
/// The whole corpus through syntax + static analysis (catalog from the migration DDL) and, where a
/// case carries a question, the offline judge (which reads the question; "this year" of the cases is 2025).
/// Cost codes need the replica: see ReplicaCorpusTests.
/// </summary>
public sealed class CorpusStaticTests(ITestOutputHelper output)
{
    private static readonly DateOnly CorpusToday = new(2025, 12, 31);

    [Fact]
    public void Corpus_has_at_least_150_cases_covering_every_code()
    {
        var cases = CorpusFile.Load();
        Assert.True(cases.Count >= 150, $"corpus has {cases.Count} cases");
        Assert.Equal(cases.Count, cases.Select(c => c.Id).Distinct().Count());
        foreach (var code in CorpusFile.StaticCodes.Concat(CorpusFile.CostCodes).Append(Codes.SemanticMismatch))
        {
            Assert.True(cases.Count(c => c.Expected.Contains(code)) >= 2, $"fewer than 2 cases for {code}");
        }
        Assert.True(cases.Count(c => c.Expected.Count == 0) >= 50, "fewer than 50 clean cases");
    }

    [Fact]
    public async Task Corpus_static_and_offline_judge_precision_and_recall_are_100_percent()
    {
        var validator = TestCatalog.Validator();
        var score = new CorpusScore();
        var codes = CorpusFile.StaticCodes.Concat(CorpusFile.SemanticCodes).ToArray();
        foreach (var c in CorpusFile.Load())
        {
            var report = validator.CheckSql(c.Sql, TestCatalog.Schema);
            var findings = report.Errors.Concat(report.Warnings).ToList();
            if (c.Intent is not null && report.Errors.Count == 0)
            {
                var semantic = await validator.ValidateAsync(
                    new SqlValidationRequest(c.Sql, c.Question, c.Intent) { Today = CorpusToday }, ValidationMode.Semantic, TestContext.Current.CancellationToken);
                findings.AddRange(semantic.Errors);
            }
            var expected = c.Expected.Where(codes.Contains).ToHashSet();
            score.Add(c, expected, findings.Select(f => f.Code).ToHashSet(), string.Join(" | ", findings.Select(f => $"{f.Code}@{f.Position}: {f.Message}")));
        }
        output.WriteLine(score.Report(codes, out var perfect));
        foreach (var m in score.Mismatches)
        {
            output.WriteLine(m);
        }
        Assert.True(perfect, "corpus precision/recall below 100%:\n" + string.Join("\n", score.Mismatches));
    }
}
