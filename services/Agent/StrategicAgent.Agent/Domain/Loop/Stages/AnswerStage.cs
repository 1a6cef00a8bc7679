using System.Globalization;
using System.Text;

namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Step 10: the narrative over the rows with every caveat the earlier stages noted, the confidence,
/// and what to remember — the fix that worked (learning memory) and the plan (for follow-ups).
/// </summary>
public sealed class AnswerStage(LearningRecorder learning, ConversationStore conversations, bool deterministic) : IAskStage
{
    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        var gen = ask.RequireQuery();
        var result = ask.Result ?? throw new InvalidOperationException("no rows to answer with: the execute stage runs first");
        var confidence = Confidence(ask.Verdict, ask.Check, deterministic);
        await learning.RecordAnswerAsync(ask, confidence, ct);
        if (ask.Plan is not null)
        {
            conversations.Set(ask.ClientId, ask.ConversationId, ask.Plan);
        }
        var text = new StringBuilder(AnswerWriter.Write(ask.Plan, result.Columns, result.Rows, ask.Today));
        if (ask.Attempt > 1)
        {
            text.Append(CultureInfo.InvariantCulture, $" (Answered on attempt {ask.Attempt} after {ask.Attempt - 1} failed validation(s).)");
        }
        foreach (var n in ask.Notes)
        {
            text.Append(' ').Append(n);
        }
        return StageResult.Stop(new Ending(AnswerStatus.Answered, text.ToString(), gen.Sql, result.Columns, result.Rows, confidence),
            new StepNote(Stage.Answer, Verdict.Pass, string.Create(CultureInfo.InvariantCulture, $"confidence {confidence:0.00}")));
    }

    /// <summary>The judge's confidence when a judge answered; else 1.0 offline, 0.5 for unjudged LLM SQL; at most 0.5 when the rows had problems.</summary>
    public static double Confidence(JudgeResult? verdict, ResultCheck? check, bool deterministic)
    {
        var confidence = verdict is { Available: true } ? verdict.Confidence : deterministic ? 1.0 : 0.5;
        return check is { Valid: false } ? Math.Min(confidence, 0.5) : confidence;
    }
}
