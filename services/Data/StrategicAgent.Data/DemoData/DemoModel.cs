namespace StrategicAgent.Data.DemoData;

internal sealed record ClientRow(long Id, string Name, bool Active);

internal sealed record TeamRow(long Id, long ClientId, string Name, bool Active, TeamSpec Spec);

/// <summary>
/// A user. <see cref="Seniority"/> (0..1) is hidden: it makes the user's issues faster and their
/// pull requests less likely to need rework. Users exist from <see cref="JoinedAt"/> and, when
/// inactive, until <see cref="LeftAt"/>.
/// </summary>
internal sealed record UserRow(long Id, long ClientId, long? TeamId, string Name, string? Email, bool Active,
    double Seniority, DateTime JoinedAt, DateTime LeftAt)
{
    public bool EmployedAt(DateTime t) => t >= JoinedAt && t < LeftAt;
}

internal sealed record ProjectRow(long Id, long ClientId, string Key, string Name, long TeamId, bool Active);

internal sealed record IssueTypeRow(long Id, long ClientId, string Name);

internal sealed record MappingRow(long Id, long ClientId, string From, string To, bool Active);

internal sealed record StatusRow(long Id, long ClientId, string Name, long MappingId, bool Active);

internal sealed record RepoRow(long Id, long ClientId, string Name, string FullName, long TeamId, bool Active, RepoSpec Spec);

internal enum IssueKind : byte
{
    Epic,
    Story,
    Task,
    Bug,
    SubTask,
}

internal enum Category : byte
{
    ToDo,
    InProgress,
    Done,
}

/// <summary>Everything one project's issues, PRs and deployments are generated from.</summary>
internal sealed class ProjectChunk
{
    public required int Index { get; init; }
    public required TenantSpec Tenant { get; init; }
    public required ProjectSpec Spec { get; init; }
    public required ProjectRow Project { get; init; }
    public required TeamRow Team { get; init; }
    public required UserRow[] TeamUsers { get; init; }
    public required UserRow[] TenantUsers { get; init; }
    public required RepoRow[] Repos { get; init; }
    /// <summary>Issue type id by <see cref="IssueKind"/>.</summary>
    public required long[] TypeIds { get; init; }
    /// <summary>Status id by workflow name.</summary>
    public required IReadOnlyDictionary<string, long> StatusIds { get; init; }
    public required DateTime WindowStart { get; init; }
    public required DateTime WindowEnd { get; init; }
    public required int Epics { get; init; }
    public required DateTime AsOf { get; init; }
    public required int Seed { get; init; }
}

internal sealed class PlannedIssue
{
    public int Seq;
    public long Id;
    public int Number;
    public IssueKind Kind;
    public PlannedIssue? Parent;
    public int TruePoints;
    public decimal? StoryPoints;
    public DateTime Created;
    public DateTime Updated;
    public DateTime? Started;
    public DateTime? Completed;
    /// <summary>When the work would end, even if that is after the reference date (drives PR timing).</summary>
    public DateTime PlannedEnd;
    public Category Category;
    public string Status = "Open";
    public UserRow? Assignee;
    public UserRow? Reporter;
    public string? Priority;
    public int CommentCount;
    public int Children;
    public int DoneChildren;
}

internal sealed class PlannedPr
{
    public int Seq;
    public long Id;
    public int Number;
    public RepoRow Repo = null!;
    public PlannedIssue? Issue;
    public UserRow? Author;
    public int Commits;
    public int ChangedFiles;
    public int Additions;
    public int Deletions;
    public int ReviewCycles;
    public int ReworkCommits;
    public DateTime Created;
    public DateTime? Merged;
    public DateTime? Closed;
    public string Status = "open";
    public bool Chore;
}

internal sealed class PlannedDeployment
{
    public int Seq;
    public long Id;
    public RepoRow Repo = null!;
    public string Environment = "production";
    public string Status = "success";
    public DateTime DeployedAt;
    public long? LeadTimeSeconds;
}

internal sealed class PlannedIncident
{
    public int Seq;
    public long Id;
    public long ClientId;
    public PlannedDeployment? Deployment;
    public DateTime Created;
    public DateTime? Resolved;
    public string Severity = "sev3";
}
