using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// The semantic judge in the agent (its own, usually cheaper, model): JSON
/// {valid, justification, confidence}. A reply that is not that JSON, a timeout or an error makes
/// the judge unavailable for this attempt — reported, never read as a pass or a fail.
/// </summary>
public sealed partial class LlmSqlJudge(Kernel kernel, LlmOptions options, ILogger<LlmSqlJudge> logger) : ISqlJudge
{
    public async Task<JudgeResult> JudgeAsync(string question, string sql, QueryPlan? plan, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var settings = new OpenAIPromptExecutionSettings { Temperature = 0, MaxTokens = 300 };
        try
        {
            var (reply, history) = await LlmCall.RunAsync(kernel, PromptBuilder.JudgeSystem, PromptBuilder.JudgeUser(question, sql, plan), settings, options, logger, ct);
            var (p, c) = LlmCall.Usage(history, reply);
            var parsed = Parse(reply.Content);
            return parsed is null
                ? new JudgeResult(false, false, 0, $"unparseable judge reply: {Truncate(reply.Content)}", p, c, sw.Elapsed.TotalMilliseconds)
                : parsed with { PromptTokens = p, CompletionTokens = c, Ms = sw.Elapsed.TotalMilliseconds };
        }
        catch (GenerationException ex)
        {
            return new JudgeResult(false, false, 0, ex.Message, Ms: sw.Elapsed.TotalMilliseconds);
        }
    }

    public static JudgeResult? Parse(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }
        var m = ObjectRegex().Match(content);
        if (!m.Success)
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(m.Value);
            var root = doc.RootElement;
            if (!root.TryGetProperty("valid", out var v) || v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)
                || !root.TryGetProperty("confidence", out var c) || c.ValueKind != JsonValueKind.Number)
            {
                return null;
            }
            var confidence = c.GetDouble();
            if (confidence is < 0 or > 1 || double.IsNaN(confidence))
            {
                return null;
            }
            var justification = root.TryGetProperty("justification", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString()! : "";
            return new JudgeResult(true, v.GetBoolean(), confidence, justification);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string? s) => s is null ? "(empty)" : s.Length <= 120 ? s : s[..120] + "…";

    [GeneratedRegex(@"\{.*\}", RegexOptions.Singleline)]
    private static partial Regex ObjectRegex();
}
