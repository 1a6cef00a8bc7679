using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Validation.Ai;

public enum LlmProvider
{
    Offline,
    OpenAI,
    AzureOpenAI,
}

/// <summary>Section <c>Llm</c> (shared naming with the agent): the provider and the judge's model.</summary>
public sealed class LlmOptions
{
    public const string Section = "Llm";

    public LlmProvider Provider { get; set; } = LlmProvider.Offline;

    [Required]
    public JudgeModelOptions Judge { get; set; } = new();

    /// <summary>A remote provider needs a model and an endpoint.</summary>
    public bool IsValid() =>
        Provider == LlmProvider.Offline
        || (!string.IsNullOrWhiteSpace(Judge.Model) && Uri.TryCreate(Judge.Endpoint, UriKind.Absolute, out _));
}

public sealed class JudgeModelOptions
{
    /// <summary>Model id (OpenAI-compatible) or deployment name (Azure OpenAI); a cheaper model than the generator's.</summary>
    public string Model { get; set; } = "";

    /// <summary>Base URL, e.g. http://localhost:11434/v1 (Ollama) or https://x.openai.azure.com/.</summary>
    public string Endpoint { get; set; } = "";

    public string ApiKey { get; set; } = "";

    /// <summary>Per-attempt timeout of a judge call.</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 30;
}
