namespace StrategicAgent.Ml.Features;

/// <summary>
/// The columns every feature row has besides its features: which entity, which tenant, when its
/// label became known (the time-ordered split sorts on it) and the label in natural units (NaN
/// when unknown, i.e. for rows to predict).
/// </summary>
public interface IFeatureRow
{
    long EntityId { get; set; }
    long ClientId { get; set; }
    DateTime LabelKnownAt { get; set; }
    float Label { get; set; }
}

/// <summary>
/// Epic trajectory: total lead time of an epic in days, from the features it had when work on it
/// started (<c>as_of</c> = work_first_started_at, else created). Children, points and project
/// history are counted "so far" at that moment, so an open epic has exactly the same features as
/// the done epics the model learned from.
/// </summary>
public sealed class TrajectoryFeatures : IFeatureRow
{
    [MetaColumn("entity_id")] public long EntityId { get; set; }
    [MetaColumn("client_id")] public long ClientId { get; set; }
    [MetaColumn("label_known_at")] public DateTime LabelKnownAt { get; set; }
    [MetaColumn("label")] public float Label { get; set; } = float.NaN;

    [Feature("project", FeatureKind.Categorical, "The epic's project (id), so per-project pace is learnable.")]
    public string Project { get; set; } = "";
    [Feature("priority", FeatureKind.Categorical, "Priority at prediction time ('none' when unset).")]
    public string Priority { get; set; } = "";
    [Feature("summary_words", FeatureKind.Numeric, "Words in the epic's summary.")]
    public float SummaryWords { get; set; }
    [Feature("description_chars", FeatureKind.Numeric, "Characters of description (0 when none).")]
    public float DescriptionChars { get; set; }
    [Feature("children_so_far", FeatureKind.Numeric, "Child issues created up to as_of (not the final count).")]
    public float ChildrenSoFar { get; set; }
    [Feature("child_points_so_far", FeatureKind.Numeric, "Story points of the children created up to as_of.")]
    public float ChildPointsSoFar { get; set; }
    [Feature("unpointed_children_so_far", FeatureKind.Numeric, "Children created up to as_of without story points.")]
    public float UnpointedChildrenSoFar { get; set; }

    [Feature("project_log_lead_before", FeatureKind.Numeric, "Mean ln(lead-time days) of the project's epics completed before as_of (-1 when none).")]
    public float ProjectLogLeadBefore { get; set; }

    [Feature("team_size", FeatureKind.Numeric, "Active members of the project's team.")]
    public float TeamSize { get; set; }
    [Feature("days_created_to_start", FeatureKind.Numeric, "Days between the epic's creation and as_of.")]
    public float DaysCreatedToStart { get; set; }
    [Feature("text", FeatureKind.Text, "The epic's summary and the first 1,000 characters of its description, as word n-grams.")]
    public string Text { get; set; } = "";
    [Feature("project_log_days_per_point_before", FeatureKind.Numeric, "Mean ln(lead days ÷ child points) of the project's epics completed before as_of: its pace per point of scope (NaN when none).")]
    public float ProjectLogDaysPerPointBefore { get; set; }
    [Feature("project_log_hours_per_point_90d", FeatureKind.Numeric, "Mean ln(lead hours ÷ points) of the project's pointed issues completed in the 90 days before as_of: recent pace (NaN when none).")]
    public float ProjectLogHoursPerPoint90d { get; set; }

    // Read but not model inputs since migration 0310: they grow with the company's history, so a
    // time-ordered test period holds values training never saw. Kept for versions trained before.
    [MetaColumn("project_epics_done_before")] public float ProjectEpicsDoneBefore { get; set; }
    [MetaColumn("project_points_done_90d")] public float ProjectPointsDone90d { get; set; }
    [MetaColumn("start_month")] public float StartMonth { get; set; }
}

/// <summary>
/// Issue complexity: story points (0 &lt; points ≤ 21) of a Story/Task/Bug from what is known when
/// it is estimated: its text, type, project, priority and the project's earlier estimates.
/// </summary>
public sealed class ComplexityFeatures : IFeatureRow
{
    [MetaColumn("entity_id")] public long EntityId { get; set; }
    [MetaColumn("client_id")] public long ClientId { get; set; }
    [MetaColumn("label_known_at")] public DateTime LabelKnownAt { get; set; }
    [MetaColumn("label")] public float Label { get; set; } = float.NaN;

    [Feature("text", FeatureKind.Text, "Summary and the first 2,000 characters of the description, as word and character n-grams.")]
    public string Text { get; set; } = "";
    [Feature("issue_type", FeatureKind.Categorical, "Story, Task or Bug.")]
    public string IssueType { get; set; } = "";
    [Feature("project", FeatureKind.Categorical, "The issue's project (id).")]
    public string Project { get; set; } = "";
    [Feature("priority", FeatureKind.Categorical, "Priority ('none' when unset).")]
    public string Priority { get; set; } = "";
    [Feature("summary_words", FeatureKind.Numeric, "Words in the summary.")]
    public float SummaryWords { get; set; }
    [Feature("description_chars", FeatureKind.Numeric, "Characters of description (0 when none).")]
    public float DescriptionChars { get; set; }
    [Feature("has_epic", FeatureKind.Numeric, "1 when the issue belongs to an epic.")]
    public float HasEpic { get; set; }
    [Feature("project_prior_mean_points", FeatureKind.Numeric, "Mean points of the project's issues created earlier (-1 when none).")]
    public float ProjectPriorMeanPoints { get; set; }
    [Feature("project_prior_pointed", FeatureKind.Numeric, "How many earlier issues of the project had points.")]
    public float ProjectPriorPointed { get; set; }
}

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

/// <summary>
/// Prediction-log monitoring features for the anomaly model, standardised per model name with
/// the statistics stored in the anomaly model's calibration (see <c>AnomalyFeatureBuilder</c>).
/// </summary>
public sealed class AnomalyFeatures : IFeatureRow
{
    public long EntityId { get; set; }
    public long ClientId { get; set; }
    public DateTime LabelKnownAt { get; set; }
    /// <summary>1 for a known anomaly (evaluation only), 0 otherwise; the model never trains on it.</summary>
    public float Label { get; set; }

    [Feature("value_z", FeatureKind.Numeric, "Prediction value standardised per model (log scale for lead time).")]
    public float ValueZ { get; set; }
    [Feature("previous_value_z", FeatureKind.Numeric, "The previous prediction for the same key, standardised the same way (= value_z when none).")]
    public float PreviousValueZ { get; set; }
    [Feature("feature_count_z", FeatureKind.Numeric, "Input feature count standardised per model.")]
    public float FeatureCountZ { get; set; }
    [Feature("confidence_z", FeatureKind.Numeric, "Prediction confidence standardised per model.")]
    public float ConfidenceZ { get; set; }
    [Feature("latency_z", FeatureKind.Numeric, "ln(response time ms) standardised per model.")]
    public float LatencyZ { get; set; }
    [Feature("hour_sin", FeatureKind.Numeric, "sin(2π·hour/24) of the prediction time (UTC).")]
    public float HourSin { get; set; }
    [Feature("hour_cos", FeatureKind.Numeric, "cos(2π·hour/24).")]
    public float HourCos { get; set; }
    [Feature("dow_sin", FeatureKind.Numeric, "sin(2π·day/7), day 0 = Sunday.")]
    public float DowSin { get; set; }
    [Feature("dow_cos", FeatureKind.Numeric, "cos(2π·day/7).")]
    public float DowCos { get; set; }
}
