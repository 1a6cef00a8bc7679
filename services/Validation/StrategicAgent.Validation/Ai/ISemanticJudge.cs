using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Ai;

/// <summary>What the judge is asked: does this SQL answer this question with this intent?</summary>
public sealed record JudgeRequest(string Question, QueryIntent Intent, string Sql, QueryShape? Shape);

/// <summary>
/// The semantic judge, owned by this service so the LLM library stays behind it. Implementations
/// never throw for a bad or missing answer: they return <c>Available = false</c> (judge_unavailable),
/// and the caller decides — never a silent pass.
/// </summary>
public interface ISemanticJudge
{
    Task<JudgeVerdict> JudgeAsync(JudgeRequest request, CancellationToken ct);
}
