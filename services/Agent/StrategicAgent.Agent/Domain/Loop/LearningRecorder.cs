using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// The loop's use of learning memory: recall hints, remember failures, record the fix that worked.
/// Memory is an aid, not a dependency: when the primary is unreachable the ask goes on without it
/// (logged, and visible in the trace's memory step) instead of failing.
/// </summary>
public sealed partial class LearningRecorder(ILearningMemory memory, AgentOptions options, string generatorName, bool deterministic, ILogger logger)
{
    /// <summary>Hints for a new ask, or null when memory is unreachable.</summary>
    public Task<IReadOnlyList<MemoryHint>?> RecallAsync(AskContext ask, CancellationToken ct) =>
        options.MemoryHints > 0
            ? Safely(() => memory.FindAsync(ask.ClientId, ask.IntentText, null, options.MemoryHints, ct), ct)
            : Task.FromResult<IReadOnlyList<MemoryHint>?>([]);

    /// <summary>After a failed check: fixes of the same query shape (fingerprint) come first.</summary>
    public async Task<IReadOnlyList<MemoryHint>> MergeHintsAsync(AskContext ask, string? fingerprint, CancellationToken ct)
    {
        if (options.MemoryHints == 0 || string.IsNullOrEmpty(fingerprint) || deterministic)
        {
            return ask.Hints;
        }
        var more = await Safely(() => memory.FindAsync(ask.ClientId, ask.IntentText, fingerprint, options.MemoryHints, ct), ct) ?? [];
        return [.. more.Concat(ask.Hints).DistinctBy(h => h.Id).Take(options.MemoryHints * 2)];
    }

    public async Task RememberFailureAsync(AskContext ask, AttemptFeedback fb, string? fingerprint, CancellationToken ct)
    {
        var context = JsonSerializer.Serialize(new
        {
            attempt = ask.Attempt,
            stage = fb.Stage.Name(),
            code = fb.Code,
            position = fb.Position,
            suggestions = fb.Suggestions,
            metric = ask.Plan?.Metric.Name,
            plan = ask.Plan?.Describe(),
            generator = ask.Query?.Source ?? generatorName,
            question = ask.Question,
        });
        var sql = ask.Query?.ValidationSql ?? fb.FailedSql;
        var id = await Safely<long?>(async () => await memory.RecordFailureAsync(ask.ClientId,
            new FailureRecord($"{fb.Stage.Name()}:{fb.Code}", ask.IntentText, sql, fb.Message, fingerprint ?? "", context), ct), ct);
        if (id is { } stored)
        {
            ask.FailureIds.Add(stored);
        }
    }

    /// <summary>An answered ask: the failures it overcame get the SQL that worked; LLM answers (and fixed ones) become examples.</summary>
    public async Task RecordAnswerAsync(AskContext ask, double confidence, CancellationToken ct)
    {
        var query = ask.RequireQuery();
        if (ask.FailureIds.Count > 0)
        {
            await Safely(async () => { await memory.RecordFixAsync(ask.ClientId, ask.FailureIds, query.ValidationSql, confidence, ct); return true; }, ct);
        }
        if (!deterministic || ask.FailureIds.Count > 0)
        {
            await Safely(async () => { await memory.RecordSuccessAsync(ask.ClientId, ask.IntentText, query.ValidationSql, ask.Report?.Fingerprint ?? "", confidence, ct); return true; }, ct);
        }
    }

    private async Task<T?> Safely<T>(Func<Task<T>> action, CancellationToken ct)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogMemoryUnavailable(logger, ex);
            return default;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Learning memory unavailable; continuing without it")]
    private static partial void LogMemoryUnavailable(ILogger logger, Exception ex);
}
