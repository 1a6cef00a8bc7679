using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Agent.Ai;

public enum LlmProvider
{
    /// <summary>Generator: the embedded offline planner. Judge: none in the agent (the validation service's semantic stage decides).</summary>
    Offline,
    /// <summary>Any OpenAI-compatible chat-completions endpoint: OpenAI, Ollama, vLLM, llama.cpp server.</summary>
    OpenAI,
    AzureOpenAI,
}

/// <summary>One model's settings (section <c>Llm:Generator</c> or <c>Llm:Judge</c>).</summary>
public sealed class LlmModelOptions : IValidatableObject
{
    public LlmProvider Provider { get; set; } = LlmProvider.Offline;

    /// <summary>OpenAI-compatible base URL including /v1 (e.g. http://localhost:11434/v1), or the Azure resource URL.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Model id (OpenAI-compatible) or deployment name (Azure).</summary>
    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>Per call: an LLM call that has not answered by then is abandoned (and retried up to <see cref="MaxRetries"/>).</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 60;

    [Range(0, 5)]
    public int MaxRetries { get; set; } = 1;

    [Range(0.0, 2.0)]
    public double Temperature { get; set; }

    [Range(16, 32_000)]
    public int MaxTokens { get; set; } = 1200;

    /// <summary>Tool calls (schema look-ups) the generator may make per attempt.</summary>
    public bool EnableTools { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == LlmProvider.Offline)
        {
            yield break;
        }
        if (string.IsNullOrWhiteSpace(Endpoint) || !Uri.TryCreate(Endpoint, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"Endpoint must be an absolute URL when Provider is {Provider}.", [nameof(Endpoint)]);
        }
        if (string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult($"Model is required when Provider is {Provider}.", [nameof(Model)]);
        }
        if (Provider == LlmProvider.AzureOpenAI && string.IsNullOrWhiteSpace(ApiKey))
        {
            yield return new ValidationResult("ApiKey is required for AzureOpenAI.", [nameof(ApiKey)]);
        }
    }
}
