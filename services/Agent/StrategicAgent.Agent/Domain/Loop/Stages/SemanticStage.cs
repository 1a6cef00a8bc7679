using System.Globalization;

namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Step 6's verdict: the agent-side judge when one is configured (its own trace step), else the
/// validation service's. A rejection or a doubt is a semantic failure; a doubt that outlives the
/// semantic retries is answered with a "Low confidence" caveat, a rejection is not answered.
/// </summary>
public sealed class SemanticStage(ISqlJudge? judge, double passConfidence) : IAskStage
{
    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        var gen = ask.RequireQuery();
        var verdict = ask.Report?.Judge;
        var steps = new List<StepNote>();
        if (judge is not null && !ask.FixedSql)
        {
            verdict = await judge.JudgeAsync(ask.Question, gen.ValidationSql, ask.Plan, ct);
            var pass = verdict.Available && verdict.Valid && verdict.Confidence > passConfidence;
            steps.Add(new StepNote(Stage.Semantic, !verdict.Available ? Verdict.Warn : pass ? Verdict.Pass : Verdict.Fail,
                !verdict.Available
                    ? "judge_unavailable: " + verdict.Justification
                    : string.Create(CultureInfo.InvariantCulture, $"valid={verdict.Valid} confidence={verdict.Confidence:0.00}: {verdict.Justification}"),
                null, verdict.PromptTokens, verdict.CompletionTokens));
        }
        ask.Verdict = verdict;
        if (verdict is { Available: true } && !(verdict.Valid && verdict.Confidence > passConfidence))
        {
            var code = verdict.Valid ? "low_confidence" : "judge_rejected";
            var fb = new AttemptFeedback(Stage.Semantic, code,
                string.Create(CultureInfo.InvariantCulture, $"the judge {(verdict.Valid ? "accepted the SQL only" : "rejected the SQL")} with confidence {verdict.Confidence:0.00} (needs valid and > {passConfidence:0.00}): {verdict.Justification}"),
                0, [], gen.ValidationSql);
            var failure = new StageFailure(RetryKind.Semantic, [fb], $"The semantic judge rejected the SQL on attempt {ask.Attempt}")
            {
                Fingerprint = ask.Report?.Fingerprint,
                NoteWhenExhausted = verdict.Valid
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"Low confidence: the semantic judge's confidence in this SQL was only {verdict.Confidence:0.00} (a pass needs more than {passConfidence:0.00}) after {ask.Attempt} attempt(s); check the SQL before relying on the numbers.")
                    : null,
            };
            return StageResult.Fail(failure, [.. steps]);
        }
        if (verdict is { Available: false })
        {
            ask.Notes.Add("The semantic judge was unavailable (judge_unavailable), so the SQL passed the syntax, static and cost checks only.");
        }
        return StageResult.Next([.. steps]);
    }
}
