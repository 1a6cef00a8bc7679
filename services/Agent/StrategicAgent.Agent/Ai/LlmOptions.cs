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
public sealed class LlmModelOptions
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

    /// <summary>A network provider needs an absolute endpoint and a model (Azure also a key).</summary>
    public bool IsComplete() =>
        Provider == LlmProvider.Offline
        || (Uri.TryCreate(Endpoint, UriKind.Absolute, out _) && !string.IsNullOrWhiteSpace(Model)
            && (Provider != LlmProvider.AzureOpenAI || !string.IsNullOrWhiteSpace(ApiKey)));
}
