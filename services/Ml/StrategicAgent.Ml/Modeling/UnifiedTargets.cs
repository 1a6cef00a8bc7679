using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Modeling;

/// <summary>The unified model's three targets and how each is read from a row.</summary>
public static class UnifiedTargets
{
    public const string LeadTime = "lead_time";
    public const string StoryPoints = "story_points";
    public const string Rework = "rework";

    public static IReadOnlyList<string> All { get; } = [LeadTime, StoryPoints, Rework];

    /// <summary>The target's value in natural units (NaN when unknown).</summary>
    public static float Value(UnifiedFeatures row, string target) => target switch
    {
        LeadTime => row.LeadTimeDays,
        StoryPoints => row.StoryPoints,
        Rework => row.Reworked,
        _ => throw new ArgumentException($"Unknown unified target '{target}'.", nameof(target)),
    };

    public static LabelTransform Transform(string target) => target == LeadTime ? LabelTransform.Log : LabelTransform.None;
}
