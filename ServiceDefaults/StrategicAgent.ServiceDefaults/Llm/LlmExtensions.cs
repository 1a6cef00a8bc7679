using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.SemanticKernel;

namespace StrategicAgent.ServiceDefaults.Llm;

public static class LlmExtensions
{
    public const string Section = "Llm";

    /// <summary>
    /// The settings of one model role (<c>Llm:&lt;role&gt;</c>, named options <paramref name="role"/>), validated
    /// on start by one rule (<see cref="LlmOptions.IsComplete"/>). The role's provider is
    /// <c>Llm:&lt;role&gt;:Provider</c>, else — when <paramref name="sharedProviderApplies"/> — <c>Llm:Provider</c>
    /// (what the AppHost passes to every service), else Offline. <paramref name="defaults"/> sets the role's own
    /// defaults before configuration is bound. Returns the provider, for wiring that depends on it (Offline:
    /// no kernel).
    /// </summary>
    public static LlmProvider AddLlm(this IHostApplicationBuilder builder, string role, bool sharedProviderApplies = true, Action<LlmOptions>? defaults = null)
    {
        var section = $"{Section}:{role}";
        var shared = sharedProviderApplies ? builder.Configuration.GetValue($"{Section}:Provider", LlmProvider.Offline) : LlmProvider.Offline;
        var provider = builder.Configuration.GetValue($"{section}:Provider", shared);
        var providerKeys = sharedProviderApplies ? $"{section}:Provider, else {Section}:Provider" : $"{section}:Provider";
        builder.Services.AddOptions<LlmOptions>(role)
            .Configure(o => defaults?.Invoke(o))
            .BindConfiguration(section)
            .PostConfigure(o => o.Provider = provider)
            .ValidateDataAnnotations()
            .Validate(o => o.IsComplete(),
                $"{section}:Endpoint (an absolute URL, e.g. http://localhost:11434/v1) and {section}:Model are required when the {role} provider ({providerKeys}) is OpenAI or AzureOpenAI; AzureOpenAI also needs {section}:ApiKey.")
            .ValidateOnStart();
        return provider;
    }

    /// <summary>The Semantic Kernel for one model role (never for Offline).</summary>
    public static Kernel CreateKernel(this LlmOptions o)
    {
        // Its own HttpClient, without the service-wide standard resilience handler: that handler's 10 s
        // attempt timeout would cut long generations. Each caller times and retries its own calls.
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var builder = Kernel.CreateBuilder();
        switch (o.Provider)
        {
            case LlmProvider.OpenAI:
                builder.AddOpenAIChatCompletion(o.Model!, new Uri(o.Endpoint!), string.IsNullOrEmpty(o.ApiKey) ? "unused" : o.ApiKey, httpClient: http);
                break;
            case LlmProvider.AzureOpenAI:
                builder.AddAzureOpenAIChatCompletion(o.Model!, o.Endpoint!, o.ApiKey!, httpClient: http);
                break;
            default:
                throw new InvalidOperationException("The offline provider has no kernel.");
        }
        return builder.Build();
    }
}
