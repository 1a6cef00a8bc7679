using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Ai;

/// <summary>
/// What the judge is asked: does this SQL answer this question? <see cref="Intent"/> is the planner's
/// reading (an LLM judge may show it); the offline judge reads the question itself, for the tenant
/// <see cref="ClientId"/> (its names) and the asker's <see cref="Today"/> (relative periods).
/// </summary>
public sealed record JudgeRequest(string Question, QueryIntent Intent, string Sql, QueryShape? Shape)
{
    public long ClientId { get; init; }

    /// <summary>The asker's date for "last month" and the like; null: the service's UTC date.</summary>
    public DateOnly? Today { get; init; }
}

/// <summary>
/// The semantic judge, owned by this service so the LLM library stays behind it. Implementations
/// never throw for a bad or missing answer: they return <c>Available = false</c> (judge_unavailable),
/// and the caller decides — never a silent pass.
/// </summary>
public interface ISemanticJudge
{
    Task<JudgeVerdict> JudgeAsync(JudgeRequest request, CancellationToken ct);
}
