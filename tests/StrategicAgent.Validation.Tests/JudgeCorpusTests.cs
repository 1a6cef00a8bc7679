using System.Globalization;
using System.Text;
using StrategicAgent.Evaluation;
using StrategicAgent.Validation.Domain;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>
/// The judge never refuses right SQL of the dev side: every gold query of <c>dev.yaml</c> and <c>dev-extension.yaml</c>
/// (never the test half) judged against each of its paraphrases, database-free (catalog from the migrations, tenant 1's
/// demo names, "today" 2026-11-01 as the fixtures' demo data). Asserted: ≥ 99 % accepted on each file; the misses are
/// printed with the judge's reason. (The mutation test in the agent tests adds the agent's compiled SQL and the mutants.)
/// </summary>
public sealed class JudgeCorpusTests(ITestOutputHelper output)
{
    private static readonly DateOnly Today = new(2026, 11, 1);

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-extension")]
    [InlineData("dev-extension-2")]
    public async Task The_judge_accepts_the_gold_sql_of_every_dev_side_paraphrase(string half)
    {
        var ct = TestContext.Current.CancellationToken;
        var validator = TestCatalog.Validator();
        var (total, accepted) = (0, 0);
        var misses = new StringBuilder();
        foreach (var intent in StrategicAgent.Evaluation.Corpus.Load(StrategicAgent.Evaluation.Corpus.ResolvePath(half)).Where(i => !i.IsTrap))
        {
            foreach (var q in intent.Questions)
            {
                total++;
                var report = await validator.ValidateAsync(new SqlValidationRequest(intent.Gold!, q.Text, ClientId: 1) { Today = Today }, ValidationMode.Semantic, ct);
                if (report.Valid)
                {
                    accepted++;
                }
                else
                {
                    misses.AppendLine(CultureInfo.InvariantCulture, $"REJECTED [{intent.Intent}] {q.Text}\n    {report.Judge?.Justification ?? string.Join("; ", report.Errors)}");
                }
            }
        }
        var rate = (double)accepted / Math.Max(1, total);
        output.WriteLine($"{half}: gold SQL accepted {accepted}/{total} = {rate:P1}");
        output.WriteLine(misses.ToString());
        Assert.True(rate >= 0.99, $"{half}: gold SQL accepted {accepted}/{total} = {rate:P1} (target ≥ 99 %)\n{misses}");
    }
}
