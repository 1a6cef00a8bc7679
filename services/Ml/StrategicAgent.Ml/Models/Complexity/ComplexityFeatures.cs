namespace StrategicAgent.Ml.Features;

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
