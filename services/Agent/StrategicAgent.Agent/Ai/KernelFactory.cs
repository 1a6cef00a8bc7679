using Microsoft.SemanticKernel;

namespace StrategicAgent.Agent.Ai;

/// <summary>Builds the Semantic Kernel for one model role from configuration.</summary>
public static class KernelFactory
{
    public static Kernel Create(LlmModelOptions o)
    {
        // Its own HttpClient, without the service-wide standard resilience handler: that handler's
        // 10 s attempt timeout would cut long generations. Timeouts and retries are LlmCall's.
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
