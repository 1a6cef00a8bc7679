using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Domain.Judging;

namespace StrategicAgent.Validation.Ai;

/// <summary>
/// The deterministic judge of the <c>Offline</c> provider: reads the question itself (through the
/// semantic layer's lexicon and the tenant's names, independent of the planner's parse) and checks the
/// coverage rule against the SQL's shape read off the parse tree — every concept of the question has a
/// counterpart in the SQL (condition, measure, grouping, period, ordering and row count) and the SQL adds
/// no condition the question did not ask for. A miss names the concept. No network, same answer every time.
/// </summary>
public sealed class QuestionJudge(ITenantNames names, TimeProvider time) : ISemanticJudge
{
    private readonly QuestionReader _reader = new(ConceptSql.Default);

    public async Task<JudgeVerdict> JudgeAsync(JudgeRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Question))
        {
            return new JudgeVerdict(false, "the offline judge reads the question, and none was given", 0, Available: false);
        }
        if (request.Shape is not { } shape)
        {
            return new JudgeVerdict(false, "the SQL could not be analyzed", 0, Available: false);
        }
        var today = request.Today ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var tenant = await names.GetAsync(request.ClientId, ct);
        var coverage = CoverageCheck.Check(_reader.Read(request.Question, today, tenant), RollupShape.AsBase(shape), today);
        // Every check is decided from the question's words and the parse tree; what neither shows (a
        // formula's exact arithmetic) keeps the confidence below 1.
        return new JudgeVerdict(coverage.Valid, coverage.Explain(), coverage.Valid ? 0.9 : 0.95, Available: true);
    }
}
