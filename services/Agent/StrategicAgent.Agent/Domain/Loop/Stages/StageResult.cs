namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>A stage of the ask pipeline. It reads and sets its part of the <see cref="AskContext"/> and says how to go on; it never writes the trace itself (<see cref="TracedStage"/> does).</summary>
public interface IAskStage
{
    Task<StageResult> RunAsync(AskContext ask, CancellationToken ct);
}

/// <summary>A trace step a stage reports; <see cref="Ms"/> null means "the whole stage's time".</summary>
public sealed record StepNote(Stage Stage, Verdict Verdict, string Detail, double? Ms = null, long PromptTokens = 0, long CompletionTokens = 0);

public enum StageFlow
{
    /// <summary>Go on with the next stage.</summary>
    Next,

    /// <summary>The ask ends here with <see cref="StageResult.Ending"/> (an answer or a refusal).</summary>
    Stop,

    /// <summary>This attempt failed (<see cref="StageResult.Failure"/>): the retry budget decides what comes next.</summary>
    Fail,
}

/// <summary>How an ask ends: what the caller gets besides the trace and the conversation id.</summary>
public sealed record Ending(AnswerStatus Status, string Text, string Sql, IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows, double Confidence)
{
    /// <summary>What was computed, when the ending computed it itself (a routed answer); else the plan's reading.</summary>
    public string Reading { get; init; } = "";

    public static Ending Refused(string text) => new(AnswerStatus.Refused, text, "", [], [], 0);
}

/// <summary>The two retry budgets of DESIGN.md step 7.</summary>
public enum RetryKind
{
    /// <summary>Syntax, static and cost checks, generation errors, SQL errors on execution (<c>Agent:MaxSyntaxRetries</c>).</summary>
    Syntax,

    /// <summary>The judge rejected or doubted the SQL (<c>Agent:MaxSemanticRetries</c>).</summary>
    Semantic,
}

/// <summary>
/// A failed attempt. <see cref="What"/> opens the fallback text ("The static check rejected the SQL on
/// attempt 2"); <see cref="Feedback"/> goes into the next prompt.
/// </summary>
public sealed record StageFailure(RetryKind Kind, IReadOnlyList<AttemptFeedback> Feedback, string What)
{
    public AttemptFeedback First => Feedback[0];

    /// <summary>False when a retry cannot help (the model is unreachable, the replica timed out).</summary>
    public bool Retryable { get; init; } = true;

    /// <summary>Store the failure in learning memory (a failure with SQL to learn from).</summary>
    public bool Remember { get; init; } = true;

    /// <summary>The validation report's fingerprint: memory is searched for fixes of the same query shape before the retry.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>Before the retry, look in memory for fixes of SQL with the same <see cref="Fingerprint"/> (a failed validation).</summary>
    public bool RecallFixes { get; init; }

    /// <summary>When no retry is left: go on with this caveat in the answer instead of falling back.</summary>
    public string? NoteWhenExhausted { get; init; }
}

public sealed record StageResult(StageFlow Flow, IReadOnlyList<StepNote> Steps, Ending? Ending = null, StageFailure? Failure = null)
{
    public static StageResult Next(params StepNote[] steps) => new(StageFlow.Next, steps);

    public static StageResult Stop(Ending ending, params StepNote[] steps) => new(StageFlow.Stop, steps, ending);

    public static StageResult Fail(StageFailure failure, params StepNote[] steps) => new(StageFlow.Fail, steps, null, failure);
}

/// <summary>What is left of the two retry budgets of one ask.</summary>
public sealed class RetryBudget(int syntax, int semantic)
{
    public int SyntaxLeft { get; private set; } = syntax;
    public int SemanticLeft { get; private set; } = semantic;

    /// <summary>Takes one retry of <paramref name="kind"/> if any is left.</summary>
    public bool TryTake(RetryKind kind)
    {
        if (kind == RetryKind.Semantic)
        {
            if (SemanticLeft <= 0)
            {
                return false;
            }
            SemanticLeft--;
            return true;
        }
        if (SyntaxLeft <= 0)
        {
            return false;
        }
        SyntaxLeft--;
        return true;
    }

    public static string Describe(RetryKind kind) => kind == RetryKind.Semantic
        ? "the semantic retries"
        : "the retries for syntax, static, cost and execution failures";
}
