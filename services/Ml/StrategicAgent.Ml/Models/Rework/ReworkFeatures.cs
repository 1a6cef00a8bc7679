namespace StrategicAgent.Ml.Features;

/// <summary>
/// Pull-request rework risk: probability that a PR ends with more than two review cycles or more
/// than three rework commits, from what is known when it is opened. review_cycles and
/// rework_commit_count define the label and are never features.
/// </summary>
public sealed class ReworkFeatures : IFeatureRow
{
    [MetaColumn("entity_id")] public long EntityId { get; set; }
    [MetaColumn("client_id")] public long ClientId { get; set; }
    [MetaColumn("label_known_at")] public DateTime LabelKnownAt { get; set; }
    [MetaColumn("label")] public float Label { get; set; } = float.NaN;

    [Feature("repository", FeatureKind.Categorical, "The PR's repository (id).")]
    public string Repository { get; set; } = "";
    [Feature("changed_files", FeatureKind.Numeric, "Files changed.")]
    public float ChangedFiles { get; set; }
    [Feature("additions", FeatureKind.Numeric, "Lines added.")]
    public float Additions { get; set; }
    [Feature("deletions", FeatureKind.Numeric, "Lines deleted.")]
    public float Deletions { get; set; }
    [Feature("title_words", FeatureKind.Numeric, "Words in the title.")]
    public float TitleWords { get; set; }
    [Feature("linked_issue_points", FeatureKind.Numeric, "Story points of the linked issue (-1 when none or unpointed).")]
    public float LinkedIssuePoints { get; set; }
    [Feature("linked_issue_type", FeatureKind.Categorical, "Type of the linked issue ('none' when unlinked).")]
    public string LinkedIssueType { get; set; } = "";
    [Feature("author_prior_opened", FeatureKind.Numeric, "PRs the author opened before this one (experience).")]
    public float AuthorPriorOpened { get; set; }
    [Feature("author_prior_merged", FeatureKind.Numeric, "The author's PRs merged before this one was opened.")]
    public float AuthorPriorMerged { get; set; }
    [Feature("author_prior_rework_rate", FeatureKind.Numeric, "Rework share of the author's PRs merged before this one was opened (-1 when none).")]
    public float AuthorPriorReworkRate { get; set; }
    [Feature("repo_prior_merged", FeatureKind.Numeric, "The repository's PRs merged before this one was opened.")]
    public float RepoPriorMerged { get; set; }
    [Feature("repo_prior_rework_rate", FeatureKind.Numeric, "Rework share of the repository's PRs merged before this one was opened (-1 when none).")]
    public float RepoPriorReworkRate { get; set; }
    [Feature("open_hour", FeatureKind.Numeric, "Hour of day (UTC) the PR was opened.")]
    public float OpenHour { get; set; }
    [Feature("open_dow", FeatureKind.Numeric, "Day of week (0 = Sunday) the PR was opened.")]
    public float OpenDow { get; set; }
}
