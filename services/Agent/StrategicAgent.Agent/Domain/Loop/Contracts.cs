using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Loop;

public sealed record AgentAnswer(
    AnswerStatus Status,
    string Text,
    string Sql,
    IReadOnlyList<string> Columns,
    IReadOnlyList<object?[]> Rows,
    IReadOnlyList<TraceEntry> Trace,
    string ConversationId,
    double Confidence)
{
    public int Attempts => Trace.Count == 0 ? 0 : Trace.Max(t => t.Attempt);

    /// <summary>One line: what was computed (measure and unit, rows, grouping, window, order, limit); empty when nothing was.</summary>
    public string Reading { get; init; } = "";
}

public sealed record AskInput(string Question, long ClientId, string? ConversationId);

/// <summary>What failed in one attempt, fed into the next one.</summary>
public sealed record AttemptFeedback(Stage Stage, string Code, string Message, int Position, IReadOnlyList<string> Suggestions, string FailedSql);

/// <summary>A remembered failure and the fix that worked, or a successful question → SQL example.</summary>
public sealed record MemoryHint(long Id, string Kind, string? ErrorType, string Intent, string? FailedSql, string? Issue, string? Fix, double? Confidence, bool SameFingerprint, double Similarity);

public sealed record GenerationRequest(
    string Question,
    long ClientId,
    QueryPlan? Plan,
    int Attempt,
    IReadOnlyList<AttemptFeedback> Feedback,
    IReadOnlyList<MemoryHint> Memory);

/// <summary>
/// Generated SQL: <see cref="Sql"/> with <see cref="Parameters"/> runs; <see cref="ValidationSql"/>
/// (parameters inlined as literals) is what the validation service sees.
/// </summary>
public sealed record GeneratedQuery(string Sql, IReadOnlyList<object> Parameters, string ValidationSql, string Source)
{
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    public string? Prompt { get; init; }
    public int ToolCalls { get; init; }
}

/// <summary>Thrown when a generator cannot produce SQL (LLM down, timed out, answered without SQL).</summary>
public sealed class GenerationException(string code, string message, bool retryable) : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>False for "the model is unreachable": retrying the loop will not help.</summary>
    public bool Retryable { get; } = retryable;

    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
}

public interface ISqlGenerator
{
    string Name { get; }

    /// <summary>Deterministic generators give the same SQL again, so a failed attempt is not retried.</summary>
    bool IsDeterministic { get; }

    /// <summary>True when the generator can only answer questions the planner mapped to a plan.</summary>
    bool RequiresPlan { get; }

    Task<GeneratedQuery> GenerateAsync(GenerationRequest request, CancellationToken ct);
}

public sealed record ValidationFinding(string Code, string Message, int Position, int Line, int Column, IReadOnlyList<string> Suggestions);

public sealed record JudgeResult(bool Available, bool Valid, double Confidence, string Justification, long PromptTokens = 0, long CompletionTokens = 0, double Ms = 0);

/// <param name="Stage">The failing stage (<see cref="Loop.Stage.Validate"/> when the service named one this agent does not know), or the last one run when valid.</param>
/// <param name="TieCheckRows">n &gt; 0 when the tie probe of a top N was left to the result (asked with <c>deferTieProbe</c>): a result of
/// n rows must be validated again without deferring before it is shown; fewer rows cannot cut through a tie.</param>
public sealed record ValidationOutcome(
    bool Valid,
    Stage Stage,
    IReadOnlyList<ValidationFinding> Errors,
    IReadOnlyList<ValidationFinding> Warnings,
    string Fingerprint,
    IReadOnlyList<(Stage Stage, double Ms)> Timings,
    JudgeResult? Judge,
    string? CostLevel,
    bool CostCached = false,
    long TieCheckRows = 0);

public sealed record ResultCheck(bool Valid, int RowsChecked, IReadOnlyList<string> Errors);

/// <summary>The validation service as the loop sees it.</summary>
public interface ISqlValidator
{
    /// <param name="deferTieProbe">Leave the tie probe of a top N (one more run of the query on the replica) to the result:
    /// the outcome's <see cref="ValidationOutcome.TieCheckRows"/> says when the rows call for it (docs/validation.md, "Ties at a top-N boundary").</param>
    Task<ValidationOutcome> ValidateAsync(string sql, string question, QueryPlan? plan, long clientId, bool skipSemantic, bool deferTieProbe, CancellationToken ct);

    Task<ResultCheck> ValidateResultsAsync(string shape, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows, CancellationToken ct);
}

/// <summary>The agent-side semantic judge (an LLM with its own model settings), when configured.</summary>
public interface ISqlJudge
{
    Task<JudgeResult> JudgeAsync(string question, string sql, QueryPlan? plan, CancellationToken ct);
}

public sealed record QueryResult(IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows, bool Truncated);

public sealed class QueryExecutionException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public const string SqlError = "sql_error";

    /// <summary>timeout | cancelled | sql_error | not_allowed | unavailable (the code the model is told, as text).</summary>
    public string Code { get; } = code;
}

public interface IQueryExecutor
{
    Task<QueryResult> ExecuteAsync(long clientId, string sql, IReadOnlyList<object> parameters, CancellationToken ct);
}

/// <summary>
/// Sentences as vectors whose dot product is their cosine similarity (<c>Ai/MiniLmSentenceEmbeddings</c>): one
/// component for everything the agent compares by meaning. Null when the model cannot run here.
/// </summary>
public interface ISentenceEmbeddings
{
    string Model { get; }

    float[][]? Embed(IReadOnlyList<string> texts, CancellationToken ct);
}

public static class SentenceVectors
{
    /// <summary>Cosine of two normalised vectors (their dot product).</summary>
    public static double Cosine(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }
        return s;
    }
}

public sealed record FailureRecord(string ErrorType, string Intent, string FailedSql, string Issue, string Fingerprint, string ContextJson);

public interface ILearningMemory
{
    Task<IReadOnlyList<MemoryHint>> FindAsync(long clientId, string intent, string? fingerprint, int max, CancellationToken ct);

    Task<long> RecordFailureAsync(long clientId, FailureRecord failure, CancellationToken ct);

    /// <summary>Marks earlier failures as fixed by <paramref name="fixedSql"/> with the answer's confidence.</summary>
    Task RecordFixAsync(long clientId, IReadOnlyList<long> failureIds, string fixedSql, double confidence, CancellationToken ct);

    Task RecordSuccessAsync(long clientId, string intent, string sql, string fingerprint, double confidence, CancellationToken ct);
}

public interface IVocabularySource
{
    Task<TenantVocabulary> GetAsync(long clientId, CancellationToken ct);
}

/// <param name="Reading">One line that says what was computed (model, measure, keys, window), shown before the answer.</param>
public sealed record PredictionAnswer(bool Answered, string Text, IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows, double Confidence)
{
    public string Reading { get; init; } = "";
}

/// <summary>The prediction service cannot answer right now (down, or the model is not deployed): said plainly, never estimated around.</summary>
public sealed class PredictionUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Questions the models answer, over the prediction service's gRPC API (<c>Grpc/GrpcPredictionTool</c>);
/// <see cref="UnavailablePredictionTool"/> says so when the service is not configured.
/// </summary>
public interface IPredictionTool
{
    /// <summary>A question the parser called a prediction: the tool reads which one (or asks its language model).</summary>
    Task<PredictionAnswer> AnswerAsync(string question, long clientId, CancellationToken ct);

    /// <summary>A routed question the prediction service answers on its own (PR risk, estimates, epic dates and odds, alerts).</summary>
    Task<PredictionAnswer> AnswerAsync(Predictions.PredictionIntent intent, long clientId, DateOnly today, CancellationToken ct);

    /// <summary>
    /// Monte Carlo forecasts of open epics by key (<c>ForecastEpics</c>), in batches the service accepts; an epic the
    /// service cannot forecast is in <see cref="Predictions.EpicForecastBatch.NotForecast"/> with its reason. Throws
    /// <see cref="PredictionUnavailableException"/> when the service cannot answer at all.
    /// </summary>
    Task<Predictions.EpicForecastBatch> ForecastEpicsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct);
}

public sealed class UnavailablePredictionTool : IPredictionTool
{
    public const string NotConnected =
        "This looks like a prediction question. Predictions are not connected to the agent yet, so I won't estimate one; I can answer questions about what already happened.";

    public Task<PredictionAnswer> AnswerAsync(string question, long clientId, CancellationToken ct) =>
        Task.FromResult(new PredictionAnswer(false, NotConnected, [], [], 0));

    public Task<PredictionAnswer> AnswerAsync(Predictions.PredictionIntent intent, long clientId, DateOnly today, CancellationToken ct) =>
        Task.FromResult(new PredictionAnswer(false, NotConnected, [], [], 0));

    public Task<Predictions.EpicForecastBatch> ForecastEpicsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct) =>
        throw new PredictionUnavailableException("predictions are not connected to the agent (no prediction service configured)");
}
