namespace StrategicAgent.Ml.Features;

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
