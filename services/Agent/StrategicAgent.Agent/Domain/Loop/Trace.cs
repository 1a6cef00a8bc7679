namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// A step of the answer's trace (proto <c>strategicagent.agent.v1.Stage</c>; the gateway's JSON writes
/// them in lower case). The pipeline's stages emit them: understand → <see cref="Understand"/>,
/// route → <see cref="Predict"/>, recall → <see cref="Memory"/>, generate, validate →
/// <see cref="Syntax"/>/<see cref="Static"/>/<see cref="Cost"/>/<see cref="Semantic"/>, execute,
/// check → <see cref="Results"/>, answer.
/// </summary>
public enum Stage
{
    Understand,
    Memory,
    Generate,
    Syntax,
    Static,
    Cost,
    Semantic,
    Execute,
    Results,
    Answer,
    Predict,

    /// <summary>A validation stage this agent does not know by name.</summary>
    Validate,
}

public enum Verdict
{
    Pass,
    Fail,
    Warn,
    Skip,
    Info,
}

public enum AnswerStatus
{
    Answered,

    /// <summary>Out of scope, unsafe, another tenant, unknown names: nothing ran.</summary>
    Refused,

    /// <summary>The fallback: says what failed, shows no number.</summary>
    Failed,
}

/// <summary>One step of the loop as it happened; the answer carries them all.</summary>
public sealed record TraceEntry(int Attempt, Stage Stage, Verdict Verdict, double Ms, string Detail, long PromptTokens = 0, long CompletionTokens = 0);

/// <summary>Lower-case wire names of the trace's closed sets, for logs, prompts and the gateway's JSON.</summary>
public static class TraceNames
{
    public static string Name(this Stage s) => s switch
    {
        Stage.Understand => "understand",
        Stage.Memory => "memory",
        Stage.Generate => "generate",
        Stage.Syntax => "syntax",
        Stage.Static => "static",
        Stage.Cost => "cost",
        Stage.Semantic => "semantic",
        Stage.Execute => "execute",
        Stage.Results => "results",
        Stage.Answer => "answer",
        Stage.Predict => "predict",
        _ => "validate",
    };

    public static string Name(this Verdict v) => v switch
    {
        Verdict.Pass => "pass",
        Verdict.Fail => "fail",
        Verdict.Warn => "warn",
        Verdict.Skip => "skip",
        _ => "info",
    };

    public static string Name(this AnswerStatus s) => s switch
    {
        AnswerStatus.Answered => "answered",
        AnswerStatus.Refused => "refused",
        _ => "failed",
    };

    /// <summary>The validation service's stage names (validation.v1 carries them as text).</summary>
    public static Stage ValidationStage(string name) => name switch
    {
        "syntax" => Stage.Syntax,
        "static" => Stage.Static,
        "cost" => Stage.Cost,
        "semantic" => Stage.Semantic,
        _ => Stage.Validate,
    };
}
