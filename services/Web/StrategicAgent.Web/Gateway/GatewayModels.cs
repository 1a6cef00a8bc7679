using System.Text.Json;
using System.Text.Json.Serialization;

namespace StrategicAgent.Web.Gateway;

// The gateway's JSON (docs/api.md), as the web UI reads it. Property names are snake_case on the wire.

public sealed record MeInfo(long ClientId, IReadOnlyList<string> Scopes, string KeyPrefix);

public sealed record AskStep(int Attempt, string Stage, string Verdict, double Ms, string Detail, long PromptTokens, long CompletionTokens);

/// <param name="Status">answered | refused | failed</param>
/// <param name="Reading">The agent's reading of the question (agent-semantic); null until the agent sends it.</param>
/// <param name="Suggestions">Questions the agent suggests instead (a refusal's), when it sends them.</param>
public sealed record AskAnswer(
    string Status,
    string Answer,
    string Sql,
    IReadOnlyList<string> Columns,
    IReadOnlyList<JsonElement> Rows,
    IReadOnlyList<AskStep> Trace,
    string ConversationId,
    double Confidence,
    JsonElement? Reading = null,
    IReadOnlyList<string>? Suggestions = null,
    string? DoraTier = null)
{
    public bool Answered => Status == "answered";

    /// <summary>The reading as text: a string, or an object's <c>text</c>/<c>summary</c>.</summary>
    [JsonIgnore]
    public string? ReadingText => Reading switch
    {
        { ValueKind: JsonValueKind.String } r => r.GetString(),
        { ValueKind: JsonValueKind.Object } r when r.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String => t.GetString(),
        { ValueKind: JsonValueKind.Object } r when r.TryGetProperty("summary", out var s) && s.ValueKind == JsonValueKind.String => s.GetString(),
        _ => null,
    };
}

/// <summary>One event of the ask stream: a step as it happens, then the answer.</summary>
public abstract record AskEvent;
public sealed record AskStepEvent(AskStep Step) : AskEvent;
public sealed record AskAnswerEvent(AskAnswer Answer) : AskEvent;

/// <summary>A catalogued question the agent recommends (GET /api/v1/agent/catalog).</summary>
public sealed record RecommendedQuestion(string Question, string? Group);

public sealed record PinInfo(long Id, string Title, IReadOnlyList<string> Questions, string CreatedBy, DateTimeOffset CreatedAt);
public sealed record PinList(IReadOnlyList<PinInfo> Pins);

public sealed record ModelRef(string Name, long Version, long VersionId, string? Algorithm, DateTimeOffset? PredictedAt);
public sealed record PredictionList<T>(ModelRef? Model, IReadOnlyList<T> Predictions);

public sealed record Trajectory(
    string Key, bool Found, string? Summary, bool Done, bool Overdue, DateTimeOffset? StartedAt, double CurrentLeadTimeDays,
    double PredictedLeadTimeDays, double LeadTimeLowDays, double LeadTimeHighDays, DateTimeOffset? PredictedCompletion,
    DateTimeOffset? CompletionLow, DateTimeOffset? CompletionHigh, double IntervalLevel, double Confidence, string? Message);

public sealed record Complexity(
    string Key, bool Found, double StoryPoints, double Low, double High, double IntervalLevel, double Fibonacci, double Confidence,
    double? ActualStoryPoints, string? Message);

public sealed record FeatureContribution(string Feature, double? Value, double Contribution);

public sealed record Rework(
    string Key, bool Found, string? Repository, int Number, string? Title, string? Status, double Probability, string RiskLevel,
    IReadOnlyList<FeatureContribution> TopFeatures, string? Message);

public sealed record ReworkList(ModelRef? Model, double HighThreshold, double MediumThreshold, IReadOnlyList<Rework> Predictions);

/// <summary>
/// POST /api/v1/predictions/forecast (ml-serving): an epic's Monte Carlo completion forecast. Read
/// loosely: the percentiles and the probability by a date are what the UI shows.
/// </summary>
public sealed record Forecast(string Key, bool Found, JsonElement Raw);

public sealed record Alert(
    long Id, string ModelName, string Severity, double Score, JsonElement? AlertData, bool Acknowledged, string? AcknowledgedBy,
    DateTimeOffset? AcknowledgedAt, DateTimeOffset? CreatedAt, string? RecommendedAction);
public sealed record AlertList(IReadOnlyList<Alert> Alerts);

public sealed record FeatureDrift(string Feature, double Psi, bool Flagged);
public sealed record ModelHealthItem(
    string ModelName, long DeployedVersion, DateTimeOffset? DeployedAt, double AgeDays, IReadOnlyDictionary<string, double> Metrics,
    bool SmokeOk, string SmokeDetail, double LatencyP50Ms, double LatencyP95Ms, double LatencyP99Ms, long LatencySamples,
    IReadOnlyList<FeatureDrift> Drift, long DriftSampleRows, double PsiThreshold, string Status, string? Message);
public sealed record ModelHealth(
    string Status, double ReplicaLagMs, DateTimeOffset? CheckedAt, long PredictionLogPending, long PredictionLogDropped,
    IReadOnlyList<ModelHealthItem> Models);

public sealed record ModelVersion(
    long Id, string ModelName, int Version, string Algorithm, string Status, IReadOnlyDictionary<string, string> Hyperparameters,
    IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, double> BaselineMetrics, long TrainingRows,
    double DurationSeconds, DateTimeOffset? CreatedAt, string? FailureReason, string? RequestId, DateTimeOffset? DataFrom,
    DateTimeOffset? DataTo, string? KeyMetric);
public sealed record ModelSummary(string Name, ModelVersion? Deployed, ModelVersion? Latest, long VersionCount);
public sealed record ModelList(IReadOnlyList<ModelSummary> Models);
public sealed record ModelVersionList(string Model, IReadOnlyList<ModelVersion> Versions);
public sealed record Deployment(long Id, string ModelName, long VersionId, long PreviousVersionId, string Strategy, string Reason, DateTimeOffset? DeployedAt);
public sealed record TrainingRunRecord(
    long Id, string RequestId, string ModelName, string Status, string Stage, long VersionId, string? FailureReason, string? RequestedBy,
    bool Deployed, string? DeployReason, DateTimeOffset? CreatedAt, DateTimeOffset? FinishedAt);
public sealed record ModelHistory(string Model, IReadOnlyList<Deployment> Deployments, IReadOnlyList<ModelVersion> Failures, IReadOnlyList<TrainingRunRecord> Runs);
public sealed record TrainingStage(string Stage, double Percent, string Message);
public sealed record TrainingRun(
    string RequestId, string Model, string Stage, double Percent, string Message, bool Completed, string? Error, ModelVersion? Version,
    bool? Deployed, string? DeployReason, IReadOnlyList<TrainingStage> Stages, DateTimeOffset? StartedAt, DateTimeOffset? UpdatedAt);
public sealed record DeployResult(bool Deployed, ModelVersion? Version, string Reason);
