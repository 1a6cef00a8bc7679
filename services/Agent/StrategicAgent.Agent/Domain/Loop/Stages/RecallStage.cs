namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>Step 2 (memory): similar past fixes and examples for the LLM generator; the offline planner compiles from the catalog and skips it.</summary>
public sealed class RecallStage(LearningRecorder learning, bool deterministic) : IAskStage
{
    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        if (deterministic)
        {
            // The offline planner compiles from the catalog: examples and past fixes cannot change its SQL.
            return StageResult.Next(new StepNote(Stage.Memory, Verdict.Skip, "offline planner: compiled from the metric catalog, memory not needed", 0));
        }
        var found = await learning.RecallAsync(ask, ct);
        ask.Hints = found ?? [];
        return StageResult.Next(found is null
            ? new StepNote(Stage.Memory, Verdict.Warn, "learning memory unavailable (primary unreachable); answering without it")
            : new StepNote(Stage.Memory, Verdict.Info, Describe(ask.Hints)));
    }

    public static string Describe(IReadOnlyList<MemoryHint> hints) =>
        hints.Count == 0
            ? "no similar past fixes"
            : $"{hints.Count} similar past fix(es): " + string.Join("; ", hints.Select(h => $"#{h.Id} {h.Kind} {h.ErrorType}".TrimEnd()));
}
