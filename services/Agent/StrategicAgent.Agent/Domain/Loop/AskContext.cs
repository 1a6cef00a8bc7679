using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// One ask as it moves through the pipeline: what the caller sent, what each stage found, and the
/// trace. Stages read what earlier stages set and set their own part; only the runner moves
/// <see cref="Attempt"/> on.
/// </summary>
public sealed class AskContext(AskInput input, string conversationId, bool namedConversation, AskTrace trace)
{
    public AskInput Input => input;
    public long ClientId => input.ClientId;
    public string Question => input.Question;
    public string ConversationId => conversationId;

    /// <summary>The caller named the conversation (so it may have been saved by an earlier agent process).</summary>
    public bool NamedConversation => namedConversation;

    public AskTrace Trace => trace;

    // Understand.
    public TenantVocabulary Vocabulary { get; set; } = TenantVocabulary.Empty;
    public DateOnly Today { get; set; }
    public PlanOutcome? Outcome { get; set; }

    /// <summary>A question the models or several metrics answer (routed before planning); null for a plan's question.</summary>
    public Predictions.PredictionIntent? Route { get; set; }
    public QueryPlan? Plan { get; set; }

    /// <summary>What the plan computes, in one line (Planning.Reading); the answer opens with it.</summary>
    public string Reading { get; set; } = "";

    /// <summary>The text memory is keyed on: the question, plus the planner's reading when there is one.</summary>
    public string IntentText => Plan is null ? Question.Trim() : $"{Question.Trim()} [{Plan.Metric.Name}]";

    /// <summary>
    /// The SQL is the agent's own, fixed query (a routed answer's lookup), not one generated for the
    /// question: the validation service's judge, which compares SQL with the question, is not asked.
    /// </summary>
    public bool FixedSql { get; init; }

    // Recall.
    public IReadOnlyList<MemoryHint> Hints { get; set; } = [];

    // Across attempts.
    public int Attempt { get; private set; }
    public List<AttemptFeedback> Feedback { get; } = [];
    public List<long> FailureIds { get; } = [];

    /// <summary>Caveats the answer must state (low judge confidence, judge unavailable, truncated rows, bad rows).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The last SQL generated: the fallback shows it.</summary>
    public string LastSql { get; set; } = "";

    // This attempt.
    public GeneratedQuery? Query { get; set; }
    public ValidationOutcome? Report { get; set; }
    public JudgeResult? Verdict { get; set; }
    public QueryResult? Result { get; set; }
    public ResultCache.Hit? Cached { get; set; }
    public ResultCheck? Check { get; set; }

    public void BeginAttempt()
    {
        Attempt++;
        Query = null;
        Report = null;
        Verdict = null;
        Result = null;
        Cached = null;
        Check = null;
    }

    /// <summary>The generated query of this attempt (set by the generate stage, which runs first).</summary>
    public GeneratedQuery RequireQuery() => Query ?? throw new InvalidOperationException("no SQL generated in this attempt: the generate stage runs first");
}

/// <summary>The steps of one ask in order; each is streamed to the caller as it is added.</summary>
public sealed class AskTrace(Func<TraceEntry, CancellationToken, ValueTask>? onStep)
{
    private readonly List<TraceEntry> _entries = [];

    public IReadOnlyList<TraceEntry> Entries => _entries;

    public async ValueTask AddAsync(TraceEntry entry, CancellationToken ct)
    {
        _entries.Add(entry);
        if (onStep is not null)
        {
            await onStep(entry, ct);
        }
    }
}
