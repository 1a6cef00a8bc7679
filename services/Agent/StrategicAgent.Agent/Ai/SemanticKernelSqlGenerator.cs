using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using StrategicAgent.Agent.Domain.Loop;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// SQL from a chat model through Semantic Kernel: catalog prompt, learning-memory hints and the
/// feedback of failed attempts; schema tools by automatic function calling; an explicit timeout
/// and bounded retries per call; token usage summed over every model call of the attempt.
/// </summary>
public sealed partial class SemanticKernelSqlGenerator(Kernel kernel, LlmOptions options, IVocabularySource vocabulary, ILogger<SemanticKernelSqlGenerator> logger) : ISqlGenerator
{
    public string Name => $"llm:{options.Model}";

    public bool IsDeterministic => false;

    public bool RequiresPlan => false;

    /// <summary>The last prompt sent (the loop tests read it).</summary>
    public string? LastPrompt { get; private set; }

    public async Task<GeneratedQuery> GenerateAsync(GenerationRequest request, CancellationToken ct)
    {
        var plugin = new SchemaPlugin(vocabulary, request.ClientId);
        var k = kernel.Clone();
        if (options.EnableTools)
        {
            k.Plugins.AddFromObject(plugin, "schema");
        }
        var user = PromptBuilder.GeneratorUser(request);
        LastPrompt = user;
        var settings = new OpenAIPromptExecutionSettings
        {
            Temperature = options.Temperature,
            MaxTokens = options.MaxTokens,
            FunctionChoiceBehavior = options.EnableTools ? FunctionChoiceBehavior.Auto() : null,
        };

        var (reply, history) = await LlmCall.RunAsync(k, PromptBuilder.GeneratorSystem(request.ClientId), user, settings, options, logger, ct);
        var (prompt, completion) = LlmCall.Usage(history, reply);
        var sql = ExtractSql(reply.Content);
        if (sql is null)
        {
            throw new GenerationException("no_sql",
                "the model's reply contained no SQL statement; reply with exactly one SELECT in a ```sql block", retryable: true)
            {
                PromptTokens = prompt,
                CompletionTokens = completion,
            };
        }
        return new GeneratedQuery(sql, [], sql, Name)
        {
            PromptTokens = prompt,
            CompletionTokens = completion,
            Prompt = user,
            ToolCalls = plugin.Calls,
        };
    }

    /// <summary>A ```sql block, a JSON {"sql": …} object, or a bare SELECT/WITH statement.</summary>
    public static string? ExtractSql(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }
        var fence = FenceRegex().Match(content);
        if (fence.Success)
        {
            return Clean(fence.Groups[1].Value);
        }
        var trimmed = content.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                if (doc.RootElement.TryGetProperty("sql", out var s) && s.ValueKind == JsonValueKind.String)
                {
                    return Clean(s.GetString()!);
                }
            }
            catch (JsonException)
            {
                return null;
            }
        }
        return StatementRegex().IsMatch(trimmed) ? Clean(trimmed) : null;
    }

    private static string? Clean(string sql)
    {
        var s = sql.Trim().TrimEnd(';').Trim();
        return s.Length == 0 ? null : s;
    }

    [GeneratedRegex(@"```(?:sql|postgresql|postgres)?\s*\n?(.*?)```", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FenceRegex();

    [GeneratedRegex(@"^(?:select|with)\b", RegexOptions.IgnoreCase)]
    private static partial Regex StatementRegex();
}
