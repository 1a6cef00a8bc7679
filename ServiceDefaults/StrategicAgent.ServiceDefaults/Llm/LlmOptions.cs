using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.ServiceDefaults.Llm;

public enum LlmProvider
{
    /// <summary>No model: the service's offline path (the agent's embedded planner, the validation service's question judge).</summary>
    Offline,

    /// <summary>Any OpenAI-compatible chat-completions endpoint: OpenAI, Ollama, vLLM, llama.cpp server.</summary>
    OpenAI,

    AzureOpenAI,
}

/// <summary>
/// One model role's settings (section <c>Llm:&lt;Role&gt;</c>, e.g. <c>Llm:Generator</c>, <c>Llm:Judge</c>);
/// registered by <see cref="LlmExtensions.AddLlm"/>, read as <c>IOptionsMonitor&lt;LlmOptions&gt;.Get(role)</c>.
/// </summary>
public sealed class LlmOptions
{
    public LlmProvider Provider { get; set; } = LlmProvider.Offline;

    /// <summary>OpenAI-compatible base URL including /v1 (e.g. http://localhost:11434/v1), or the Azure resource URL.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Model id (OpenAI-compatible) or deployment name (Azure).</summary>
    public string? Model { get; set; }

    /// <summary>Optional for an OpenAI-compatible endpoint (Ollama needs none); required for Azure OpenAI.</summary>
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

    /// <summary>
    /// A network provider needs an absolute endpoint and a model; Azure OpenAI also a key: the only Azure
    /// authentication wired is the API key (no Entra ID credential), and Azure's client refuses an empty one —
    /// without this rule a missing key surfaced at the first call instead of at start.
    /// </summary>
    public bool IsComplete() =>
        Provider == LlmProvider.Offline
        || (Uri.TryCreate(Endpoint, UriKind.Absolute, out _) && !string.IsNullOrWhiteSpace(Model)
            && (Provider != LlmProvider.AzureOpenAI || !string.IsNullOrWhiteSpace(ApiKey)));
}
