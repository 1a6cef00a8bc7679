namespace StrategicAgent.Ml.Features;

/// <summary>
/// The unified view: Story/Task/Bug issues joined with aggregates of their pull requests, as of
/// the moment their first PR was opened. One row per issue carries three targets (lead time in
/// days, story points, rework 0/1); the unified model stacks them with a <see cref="Target"/>
/// indicator and learns all three in one booster.
/// </summary>
public sealed class UnifiedFeatures : IFeatureRow
{
    [MetaColumn("entity_id")] public long EntityId { get; set; }
    [MetaColumn("client_id")] public long ClientId { get; set; }
    [MetaColumn("label_known_at")] public DateTime LabelKnownAt { get; set; }
    /// <summary>The stacked row's target value (set by the trainer from the three targets below).</summary>
    public float Label { get; set; } = float.NaN;

    [MetaColumn("lead_time_days")] public float LeadTimeDays { get; set; } = float.NaN;
    [MetaColumn("story_points")] public float StoryPoints { get; set; } = float.NaN;
    [MetaColumn("reworked")] public float Reworked { get; set; } = float.NaN;

    /// <summary>A copy of this row about one target (the unified model's stacked rows).</summary>
    public UnifiedFeatures WithTarget(string target, float label)
    {
        var copy = (UnifiedFeatures)MemberwiseClone();
        copy.Target = target;
        copy.Label = label;
        return copy;
    }

    [Feature("target", FeatureKind.Categorical, "Which target a stacked row is about: lead_time | story_points | rework (set by the model, not read from SQL).")]
    public string Target { get; set; } = "";
    [Feature("issue_type", FeatureKind.Categorical, "Story, Task or Bug.")]
    public string IssueType { get; set; } = "";
    [Feature("project", FeatureKind.Categorical, "The issue's project (id).")]
    public string Project { get; set; } = "";
    [Feature("priority", FeatureKind.Categorical, "Priority ('none' when unset).")]
    public string Priority { get; set; } = "";
    [Feature("summary_words", FeatureKind.Numeric, "Words in the summary.")]
    public float SummaryWords { get; set; }
    [Feature("description_chars", FeatureKind.Numeric, "Characters of description.")]
    public float DescriptionChars { get; set; }
    [Feature("has_epic", FeatureKind.Numeric, "1 when the issue belongs to an epic.")]
    public float HasEpic { get; set; }
    [Feature("project_prior_mean_points", FeatureKind.Numeric, "Mean points of the project's issues created before this one (-1 when none).")]
    public float ProjectPriorMeanPoints { get; set; }
    [Feature("first_pr_changed_files", FeatureKind.Numeric, "Files changed by the issue's first PR.")]
    public float FirstPrChangedFiles { get; set; }
    [Feature("first_pr_churn", FeatureKind.Numeric, "Additions + deletions of the issue's first PR.")]
    public float FirstPrChurn { get; set; }
    [Feature("days_created_to_first_pr", FeatureKind.Numeric, "Days from issue creation to its first PR.")]
    public float DaysCreatedToFirstPr { get; set; }
    [Feature("author_prior_opened", FeatureKind.Numeric, "PRs the first PR's author opened before it.")]
    public float AuthorPriorOpened { get; set; }
    [Feature("author_prior_merged", FeatureKind.Numeric, "PRs the first PR's author merged before it was opened.")]
    public float AuthorPriorMerged { get; set; }
    [Feature("author_prior_rework_rate", FeatureKind.Numeric, "Rework share of those PRs (-1 when none).")]
    public float AuthorPriorReworkRate { get; set; }
}
