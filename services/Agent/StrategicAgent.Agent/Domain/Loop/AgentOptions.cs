using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>The loop's policy (section <c>Agent</c>).</summary>
public sealed class AgentOptions
{
    public const string Section = "Agent";

    /// <summary>Retries after syntax, static, cost (and SQL execution) failures.</summary>
    [Range(0, 10)]
    public int MaxSyntaxRetries { get; set; } = 3;

    /// <summary>Retries after the semantic judge rejects or doubts the SQL.</summary>
    [Range(0, 10)]
    public int MaxSemanticRetries { get; set; } = 2;

    /// <summary>The judge passes SQL when it says valid with confidence above this.</summary>
    [Range(0.0, 1.0)]
    public double SemanticPassConfidence { get; set; } = 0.7;

    [Range(1, 600)]
    public int StatementTimeoutSeconds { get; set; } = 10;

    /// <summary>Whole-ask budget: a question that has not been answered by then gets the fallback answer.</summary>
    [Range(1, 3600)]
    public int AskTimeoutSeconds { get; set; } = 120;

    [Range(1, 100_000)]
    public int RowCap { get; set; } = 500;

    [Range(0, 20)]
    public int MemoryHints { get; set; } = 3;

    /// <summary>Learning memory rows kept per tenant; the oldest beyond it are pruned.</summary>
    [Range(10, 1_000_000)]
    public int MemoryMaxPerTenant { get; set; } = 1000;

    /// <summary>Recall past fixes by meaning too (sentence embeddings of the question), not only by fingerprint and trigrams.</summary>
    public bool MemoryByMeaning { get; set; } = true;

    /// <summary>
    /// The cosine at or above which a past question counts as the same question in other words (all-MiniLM-L6-v2:
    /// different questions of the same shape score up to ≈ 0.51, e.g. bugs vs stories last month; docs/agent.md).
    /// </summary>
    [Range(0.0, 1.0)]
    public double MemoryMinSimilarity { get; set; } = 0.55;

    [Range(1, 10_000)]
    public int MaxQuestionLength { get; set; } = 1000;

    [Range(1, 1_000_000)]
    public int ConversationCapacity { get; set; } = 10_000;

    [Range(1, 10_080)]
    public int ConversationIdleMinutes { get; set; } = 60;

    /// <summary>Write each conversation's last plan to the primary's <c>agent_conversations</c>, so follow-ups survive a restart.</summary>
    public bool PersistConversations { get; set; } = true;

    /// <summary>Plans waiting to be written; beyond it a plan is dropped (counted, logged) rather than slow an answer.</summary>
    [Range(1, 1_000_000)]
    public int ConversationWriteBuffer { get; set; } = 10_000;

    /// <summary>How long a stopping agent keeps trying to write the plans it still holds.</summary>
    [Range(0, 300)]
    public int ConversationShutdownSeconds { get; set; } = 5;

    [Range(1, 1_000)]
    public int MaxConversationIdLength { get; set; } = 200;

    [Range(0, 3600)]
    public int VocabularyCacheSeconds { get; set; } = 60;

    /// <summary>How long a validated query's rows are reused for the same tenant and SQL; 0 turns the cache off.</summary>
    [Range(0, 3600)]
    public int ResultCacheSeconds { get; set; } = 30;

    [Range(1, 1_000_000)]
    public int ResultCacheEntries { get; set; } = 1000;

    /// <summary>Compile a question that fits a replica rollup over it (docs/agent.md, "The rollup lever"); false: always the base tables (to compare).</summary>
    public bool Rollups { get; set; } = true;

    /// <summary>How a refusal's "questions I can answer that come close" are ranked.</summary>
    public SuggestionRanking Suggestions { get; set; } = SuggestionRanking.Embeddings;
}

/// <summary>Ranking of the nearest answerable questions offered with a refusal.</summary>
public enum SuggestionRanking
{
    /// <summary>By meaning: sentence embeddings of the catalog's examples (<c>Ai/EmbeddingSuggester</c>), the lexical ranking filling the places left.</summary>
    Embeddings,

    /// <summary>By the concepts and words shared with the catalog's examples (<c>LexicalSuggester</c>).</summary>
    Lexical,
}
