using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Forecasting;

namespace StrategicAgent.Prediction.Domain;

/// <summary>An epic as found for the tenant, with its trajectory features (null when it is not an epic).</summary>
public sealed record EpicInput(
    string Key, long Id, string Summary, string IssueType, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    bool Done, double? ActualLeadTimeDays, TrajectoryFeatures? Row);

/// <summary>An existing issue with its complexity features (null when its type is not estimated).</summary>
public sealed record IssueInput(string Key, long Id, string IssueType, double? StoryPoints, ComplexityFeatures? Row);

/// <summary>A not-yet-created issue described in the request.</summary>
public sealed record NewIssueInput(string Summary, string? Description, string IssueType, string ProjectKey, string? Priority);

/// <summary>Features built for a new issue, or why none could be (e.g. unknown project).</summary>
public sealed record NewIssueFeatures(int Index, ComplexityFeatures? Row, string? Problem);

/// <summary>A pull request as found for the tenant (Problem set when it was not found or is ambiguous).</summary>
public sealed record PullRequestInput(
    string Key, string? Problem, long Id, string Repository, int Number, string Title, string Status, ReworkFeatures? Row);

/// <summary>
/// A repository's open pull requests (by number, at most 1,000) as one tenant snapshot holds them: the same object
/// for every request until the snapshot refreshes, so what is computed from it (the risk ranking) can be kept with it.
/// </summary>
public sealed record OpenPullRequests(string Repository, IReadOnlyList<PullRequestInput> Open);

/// <summary>An issue with its unified features (null when it has no pull request yet or is not a Story/Task/Bug).</summary>
public sealed record UnifiedInput(string Key, long Id, string IssueType, UnifiedFeatures? Row);

/// <summary>The kinds of tenant snapshot the feature store keeps (one per model's view).</summary>
public static class FeatureKinds
{
    public const string Epics = "epic";
    public const string Issues = "issue";
    public const string Unified = "unified";
    public const string PullRequests = "pr";
    /// <summary>The tenant's work history (epics, their children, teams) for epic forecasts: one entry, <see cref="WorkHistoryKey"/>.</summary>
    public const string Work = "work";
    public const string WorkHistoryKey = "history";
}

/// <summary>
/// Reads what a prediction needs from the replica, tenant-scoped and read-only. Keys the tenant
/// does not have are simply absent from the result.
/// </summary>
public interface IFeatureStore
{
    Task<IReadOnlyDictionary<string, EpicInput>> EpicsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct);
    Task<IReadOnlyDictionary<string, IssueInput>> IssuesAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct);
    Task<IReadOnlyList<NewIssueFeatures>> NewIssuesAsync(long clientId, IReadOnlyList<NewIssueInput> issues, CancellationToken ct);
    Task<IReadOnlyList<PullRequestInput>> PullRequestsAsync(long clientId, IReadOnlyList<PullRequestKey> keys, CancellationToken ct);
    /// <summary>Open PRs of a repository (by name or full name); null when the tenant has no such repository.</summary>
    Task<OpenPullRequests?> OpenPullRequestsAsync(long clientId, string repository, CancellationToken ct);
    Task<IReadOnlyDictionary<string, UnifiedInput>> UnifiedAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct);
    /// <summary>The tenant's work history for epic forecasts (from its snapshot while fresh).</summary>
    Task<WorkHistory> WorkHistoryAsync(long clientId, CancellationToken ct);
}
