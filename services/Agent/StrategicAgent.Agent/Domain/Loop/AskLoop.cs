using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StrategicAgent.Agent.Domain.Loop.Stages;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>The validation service could not be reached: unvalidated SQL never runs.</summary>
public sealed class ValidationUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The question→answer loop (DESIGN.md steps 1–10) as a pipeline of stages: understand → route
/// (questions the models answer) → recall, then per attempt generate → validate → semantic →
/// execute → check → answer. A failed attempt spends one retry of its kind (syntax/static/cost/
/// execution, or semantic) and goes round again with the failure as feedback; when none is left
/// the fallback says what failed. Each stage is wrapped in <see cref="TracedStage"/>, which writes
/// the trace and streams it.
/// </summary>
public sealed class AskLoop
{
    private readonly AgentOptions _o;
    private readonly ISqlGenerator _generator;
    private readonly ILogger<AskLoop> _logger;
    private readonly AskPipeline _pipeline;

    public AskLoop(
        ISqlGenerator generator,
        ISqlValidator validator,
        IQueryExecutor executor,
        ILearningMemory memory,
        IVocabularySource vocabulary,
        IPredictionTool predictions,
        ConversationStore conversations,
        IOptions<AgentOptions> options,
        TimeProvider clock,
        ILogger<AskLoop> logger,
        ISqlJudge? judge = null,
        ResultCache? resultCache = null,
        IQuestionSuggester? suggester = null)
    {
        _o = options.Value;
        _generator = generator;
        _logger = logger;
        var deterministic = generator.IsDeterministic;
        var learning = new LearningRecorder(memory, _o, generator.Name, deterministic, logger);
        IAskStage[] sql =
        [
            Traced(new ValidateStage(validator, agentJudges: judge is not null)),
            Traced(new SemanticStage(judge, _o.SemanticPassConfidence)),
            Traced(new ExecuteStage(executor, resultCache, _o, validator)),
            Traced(new CheckStage(validator, resultCache)),
        ];
        IAskStage[] before =
        [
            Traced(new UnderstandStage(vocabulary, conversations, clock, generator.RequiresPlan, suggester ?? new LexicalSuggester(SemanticModel.Default))),
            Traced(new RouteStage(predictions, sql, _o.RowCap)),
            Traced(new RecallStage(learning, deterministic)),
        ];
        IAskStage[] attempt =
        [
            Traced(new GenerateStage(generator)),
            .. sql,
            Traced(new AnswerStage(learning, conversations, deterministic)),
        ];
        _pipeline = new AskPipeline(before, attempt, _o.MaxSyntaxRetries, _o.MaxSemanticRetries, deterministic, learning);
    }

    public ISqlGenerator Generator => _generator;

    /// <summary>The stages, each wrapped in its trace decorator.</summary>
    public AskPipeline Pipeline => _pipeline;

    private TracedStage Traced(IAskStage stage) => new(stage, _logger);

    public async Task<AgentAnswer> AskAsync(AskInput input, Func<TraceEntry, CancellationToken, ValueTask>? onStep, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(input.Question))
        {
            throw new ArgumentException("question is empty: ask something like \"lead time by team last quarter\".", nameof(input));
        }
        if (input.Question.Length > _o.MaxQuestionLength)
        {
            throw new ArgumentException($"question is {input.Question.Length} characters; the limit is {_o.MaxQuestionLength} (Agent:MaxQuestionLength).", nameof(input));
        }
        if (input.ClientId <= 0)
        {
            throw new ArgumentException("client_id must be a positive tenant id.", nameof(input));
        }
        var requested = input.ConversationId?.Trim();
        var named = !string.IsNullOrEmpty(requested);
        if (named && requested!.Length > _o.MaxConversationIdLength)
        {
            throw new ArgumentException($"conversation_id is {requested.Length} characters; the limit is {_o.MaxConversationIdLength} (Agent:MaxConversationIdLength).", nameof(input));
        }
        var ask = new AskContext(input, named ? requested! : Guid.NewGuid().ToString("n"), named, new AskTrace(onStep));

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(TimeSpan.FromSeconds(_o.AskTimeoutSeconds));
        try
        {
            return await _pipeline.RunAsync(ask, budget.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await ask.Trace.AddAsync(new TraceEntry(ask.Attempt, Stage.Answer, Verdict.Fail, 0, $"time budget of {_o.AskTimeoutSeconds} s (Agent:AskTimeoutSeconds) exhausted"), CancellationToken.None);
            return AskPipeline.Finish(ask, AskPipeline.Fallback(ask, $"I ran out of the time budget ({_o.AskTimeoutSeconds} s) before I had a validated answer.", null));
        }
    }

    public static string OutOfScopeText() =>
        "I can't map this question to a metric I know, and I won't guess a query. I can answer:\n- " + string.Join("\n- ", Catalog.CatalogText.Default);
}
