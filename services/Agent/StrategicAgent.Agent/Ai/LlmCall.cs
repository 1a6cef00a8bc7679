using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using StrategicAgent.Agent.Domain.Loop;

namespace StrategicAgent.Agent.Ai;

/// <summary>One chat call with an explicit per-call timeout and bounded retries.</summary>
public static partial class LlmCall
{
    public static async Task<(ChatMessageContent Reply, ChatHistory History)> RunAsync(
        Kernel kernel, string system, string user, PromptExecutionSettings settings, LlmOptions options, ILogger logger, CancellationToken ct)
    {
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        Exception? last = null;
        for (var attempt = 0; attempt <= options.MaxRetries; attempt++)
        {
            var history = new ChatHistory(system);
            history.AddUserMessage(user);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds));
            try
            {
                var reply = await chat.GetChatMessageContentAsync(history, settings, kernel, timeout.Token);
                return (reply, history);
            }
            catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
            {
                last = ex;
                LogRetry(logger, options.Model, attempt + 1, "timeout after " + options.TimeoutSeconds + " s");
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Whatever the connector throws — HTTP errors, a malformed response body, a refused
                // connection — is this model being unavailable for this call, never a crash of the ask.
                last = ex;
                LogRetry(logger, options.Model, attempt + 1, ex.Message);
            }
        }
        var calls = options.MaxRetries + 1;
        if (last is OperationCanceledException || last?.InnerException is OperationCanceledException or TimeoutException)
        {
            throw new GenerationException("llm_timeout",
                $"the language model ({options.Model}) did not answer within {options.TimeoutSeconds} s ({calls} call(s); Llm:*:TimeoutSeconds, Llm:*:MaxRetries)", retryable: false);
        }
        throw new GenerationException("llm_unavailable",
            $"the language model ({options.Model}) failed {calls} time(s): {last?.Message}", retryable: false);
    }

    /// <summary>Token usage over every model response in the exchange (tool-call rounds included).</summary>
    public static (long Prompt, long Completion) Usage(ChatHistory history, ChatMessageContent reply)
    {
        long p = 0, c = 0;
        foreach (var m in history.Where(m => m.Role == AuthorRole.Assistant).Append(reply).Distinct())
        {
            if (m.Metadata is null || !m.Metadata.TryGetValue("Usage", out var u))
            {
                continue;
            }
            // The OpenAI connector reports ChatTokenUsage; IChatClient-based services report UsageDetails.
            if (u is OpenAI.Chat.ChatTokenUsage usage)
            {
                p += usage.InputTokenCount;
                c += usage.OutputTokenCount;
            }
            else if (u is Microsoft.Extensions.AI.UsageDetails details)
            {
                p += details.InputTokenCount ?? 0;
                c += details.OutputTokenCount ?? 0;
            }
        }
        return (p, c);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM {Model} call {Attempt} failed: {Reason}")]
    private static partial void LogRetry(ILogger logger, string? model, int attempt, string reason);
}
