using System.Globalization;
using System.Text;
using StrategicAgent.Agent.Domain.Loop.Stages;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// Runs the stages of one ask: <paramref name="before"/> once, then <paramref name="attempt"/> until
/// a stage stops the ask. A failed stage is remembered (learning memory), then spends one retry of
/// its kind from the ask's one <see cref="RetryBudget"/> and the attempt starts over with its
/// feedback; with no retry left (or none possible) the ask ends in the fallback, which says what
/// failed — unless the failure allows going on with a caveat.
/// </summary>
public sealed class AskPipeline(IReadOnlyList<IAskStage> before, IReadOnlyList<IAskStage> attempt, int maxSyntaxRetries, int maxSemanticRetries, bool deterministic, LearningRecorder? learning)
{
    public IReadOnlyList<IAskStage> Before => before;

    public IReadOnlyList<IAskStage> Attempt => attempt;

    public async Task<AgentAnswer> RunAsync(AskContext ask, CancellationToken ct)
    {
        foreach (var stage in before)
        {
            var r = await stage.RunAsync(ask, ct);
            if (r.Flow == StageFlow.Stop)
            {
                return Finish(ask, r.Ending!);
            }
        }
        var budget = new RetryBudget(maxSyntaxRetries, maxSemanticRetries);
        while (true)
        {
            ask.BeginAttempt();
            var retry = false;
            foreach (var stage in attempt)
            {
                var r = await stage.RunAsync(ask, ct);
                if (r.Flow == StageFlow.Stop)
                {
                    return Finish(ask, r.Ending!);
                }
                if (r.Flow == StageFlow.Next)
                {
                    continue;
                }
                var f = r.Failure!;
                if (f.Remember && learning is not null)
                {
                    await learning.RememberFailureAsync(ask, f.First, f.Fingerprint, ct);
                }
                if (f.Retryable && !deterministic && budget.TryTake(f.Kind))
                {
                    ask.Feedback.AddRange(f.Feedback);
                    if (f.RecallFixes && learning is not null)
                    {
                        ask.Hints = await learning.MergeHintsAsync(ask, f.Fingerprint, ct);
                    }
                    retry = true;
                    break;
                }
                if (f.NoteWhenExhausted is { } note)
                {
                    ask.Notes.Add(note);
                    continue;
                }
                var why = !f.Retryable ? "."
                    : deterministic ? " (the offline planner is deterministic, so a retry would repeat it)."
                    : $", and {RetryBudget.Describe(f.Kind)} are used up.";
                return Finish(ask, Fallback(ask, f.What + why, f.First));
            }
            if (!retry)
            {
                throw new InvalidOperationException("The attempt ended without an answer: the answer stage must end it.");
            }
        }
    }

    public static AgentAnswer Finish(AskContext ask, Ending e) =>
        new(e.Status, e.Text, e.Sql, e.Columns, e.Rows, ask.Trace.Entries, ask.ConversationId, e.Confidence)
        {
            Reading = e.Status != AnswerStatus.Answered ? "" : e.Reading.Length > 0 ? e.Reading : ask.Plan is not null ? ask.Reading : "",
        };

    /// <summary>The fallback answer: says what failed, at which stage, with the last error — and shows no number.</summary>
    public static Ending Fallback(AskContext ask, string what, AttemptFeedback? last)
    {
        var sb = new StringBuilder("I could not produce a validated answer, so I won't give a number. ").Append(what);
        if (last is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $" Last failure: {last.Stage.Name()} check, {last.Code}: {last.Message}");
            if (last.Position > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $" (at position {last.Position})");
            }
            sb.Append('.');
        }
        return new Ending(AnswerStatus.Failed, sb.ToString(), ask.LastSql, [], [], 0);
    }
}
