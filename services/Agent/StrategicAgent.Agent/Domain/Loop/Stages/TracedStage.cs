using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// The trace as a decorator: times the stage it wraps and turns the steps it reports into trace
/// entries (attempt, stage, verdict, ms, detail, tokens), streamed to the caller as they are added
/// and logged. The stages themselves know nothing of the trace.
/// </summary>
public sealed partial class TracedStage(IAskStage inner, ILogger logger) : IAskStage
{
    public IAskStage Inner => inner;

    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var result = await inner.RunAsync(ask, ct);
        var elapsed = sw.Elapsed.TotalMilliseconds;
        foreach (var s in result.Steps)
        {
            var ms = Math.Round(s.Ms ?? elapsed, 3);
            await ask.Trace.AddAsync(new TraceEntry(ask.Attempt, s.Stage, s.Verdict, ms, s.Detail, s.PromptTokens, s.CompletionTokens), ct);
            LogStep(logger, ask.ClientId, ask.ConversationId, ask.Attempt, s.Stage, s.Verdict, ms);
        }
        return result;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ask {ClientId}/{ConversationId} attempt {Attempt} {Stage} {Verdict} in {Ms} ms")]
    private static partial void LogStep(ILogger logger, long clientId, string conversationId, int attempt, Stage stage, Verdict verdict, double ms);
}
