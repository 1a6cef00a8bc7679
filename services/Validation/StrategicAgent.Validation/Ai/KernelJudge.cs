using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Ai;

/// <summary>
/// The LLM judge through Semantic Kernel (OpenAI-compatible or Azure OpenAI chat completions). It asks
/// for a JSON object <c>{valid, justification, confidence}</c>; a reply that is not that object (or a
/// failed call) is retried once with a reminder, then reported as unavailable — never a silent pass.
/// </summary>
public sealed partial class KernelJudge : ISemanticJudge
{
    internal const string SystemPrompt = """
        You are a strict reviewer of PostgreSQL queries written by another model for an engineering-analytics
        platform (tables: issues, projects, teams, users, statuses, status_mappings, issuetypes, pull_requests,
        repositories, deployments, incidents; every row has a client_id).
        Decide whether the SQL answers the user's question as the planner's intent describes it: the right
        metric and aggregate, grouping, filters, time window (and the column it applies to), ordering and limit.
        Do not judge style or performance.
        Reply with ONLY a JSON object, no prose and no code fences:
        {"valid": true|false, "justification": "<one or two sentences>", "confidence": <number from 0 to 1>}
        """;

    internal const string Reminder =
        "Your previous reply was not the required JSON object. Reply again with ONLY {\"valid\": true|false, \"justification\": \"...\", \"confidence\": 0.0-1.0}.";

    private readonly Kernel _kernel;
    private readonly IChatCompletionService _chat;
    private readonly TimeSpan _timeout;
    private readonly ILogger<KernelJudge> _logger;

    /// <param name="options">The <c>Judge</c> role's settings (ServiceDefaults <c>AddLlm</c>); not Offline.</param>
    public KernelJudge(LlmOptions options, ILogger<KernelJudge> logger)
    {
        _logger = logger;
        _timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        // The shared kernel's HttpClient has no timeout and no resilience handler (wrong for LLM calls):
        // this judge has its own timeout per attempt and a single bounded retry.
        _kernel = options.CreateKernel();
        _chat = _kernel.GetRequiredService<IChatCompletionService>();
    }

    public async Task<JudgeVerdict> JudgeAsync(JudgeRequest request, CancellationToken ct)
    {
        var history = new ChatHistory(SystemPrompt);
        history.AddUserMessage(UserPrompt(request));
        var settings = new OpenAIPromptExecutionSettings { Temperature = 0, MaxTokens = 400, ResponseFormat = "json_object" };
        long promptTokens = 0, completionTokens = 0;
        string problem = "";
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            string reply;
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(_timeout);
                var message = await _chat.GetChatMessageContentAsync(history, settings, _kernel, cts.Token);
                reply = message.Content ?? "";
                (var p, var c) = Usage(message);
                promptTokens += p;
                completionTokens += c;
                history.AddAssistantMessage(reply);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException or KernelException
                                          && !ct.IsCancellationRequested)
            {
                problem = e is OperationCanceledException ? $"the judge did not answer within {_timeout.TotalSeconds:0} s" : "the judge call failed: " + e.Message;
                LogCallFailed(_logger, attempt, e);
                continue;
            }
            if (TryParseVerdict(reply, out var verdict, out problem))
            {
                return verdict with { PromptTokens = promptTokens, CompletionTokens = completionTokens };
            }
            LogMalformed(_logger, attempt, Truncate(reply, 200));
            history.AddUserMessage(Reminder);
        }
        return new JudgeVerdict(false, problem + " (after one retry)", 0, Available: false, promptTokens, completionTokens);
    }

    internal static string UserPrompt(JudgeRequest request)
    {
        var intent = request.Intent;
        var sb = new StringBuilder();
        sb.Append("Question: ").AppendLine(request.Question.Length > 0 ? request.Question : "(none given)");
        sb.Append("Intent: ").AppendLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["metric"] = intent.Metric,
            ["aggregate"] = intent.Aggregate,
            ["group_by"] = intent.GroupBy,
            ["filters"] = intent.Filters,
            ["time_window"] = intent.TimeWindow,
            ["time_column"] = intent.TimeColumn,
            ["ordering"] = intent.Ordering,
            ["limit"] = intent.Limit,
            ["result_shape"] = intent.ResultShape,
        }));
        sb.AppendLine("SQL:").AppendLine(request.Sql);
        return sb.ToString();
    }

    /// <summary>Accepts the object alone, in code fences, or with prose around it; requires all three fields with sane values.</summary>
    internal static bool TryParseVerdict(string reply, out JudgeVerdict verdict, out string problem)
    {
        verdict = null!;
        var start = reply.IndexOf('{');
        var end = reply.LastIndexOf('}');
        if (start < 0 || end <= start)
        {
            problem = "the judge's reply was not JSON";
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(reply.AsMemory(start, end - start + 1));
            var root = doc.RootElement;
            if (!root.TryGetProperty("valid", out var valid) || valid.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                problem = "the judge's JSON has no boolean \"valid\"";
                return false;
            }
            if (!root.TryGetProperty("confidence", out var confidence) || confidence.ValueKind != JsonValueKind.Number
                || confidence.GetDouble() is < 0 or > 1 or double.NaN)
            {
                problem = "the judge's JSON has no \"confidence\" between 0 and 1";
                return false;
            }
            var justification = root.TryGetProperty("justification", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString()! : "";
            if (justification.Trim().Length == 0)
            {
                problem = "the judge's JSON has no \"justification\"";
                return false;
            }
            verdict = new JudgeVerdict(valid.GetBoolean(), justification.Trim(), confidence.GetDouble(), Available: true);
            problem = "";
            return true;
        }
        catch (JsonException e)
        {
            problem = "the judge's reply was malformed JSON: " + e.Message;
            return false;
        }
    }

    private static (long Prompt, long Completion) Usage(ChatMessageContent message)
    {
        if (message.Metadata is { } meta && meta.TryGetValue("Usage", out var usage) && usage is OpenAI.Chat.ChatTokenUsage u)
        {
            return (u.InputTokenCount, u.OutputTokenCount);
        }
        return (0, 0);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Judge call attempt {Attempt} failed")]
    private static partial void LogCallFailed(ILogger logger, int attempt, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Judge reply attempt {Attempt} was not the verdict JSON: {Reply}")]
    private static partial void LogMalformed(ILogger logger, int attempt, string reply);
}
