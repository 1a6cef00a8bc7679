using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StrategicAgent.Agent.Ai;
using StrategicAgent.Agent.Data;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Grpc;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.ServiceDefaults.Auth;

namespace StrategicAgent.Agent.Extensions;

public static class Extensions
{
    public const string GeneratorOptions = "Generator";
    public const string JudgeOptions = "Judge";

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // Llm:Generator:Provider falls back to Llm:Provider, the setting the AppHost passes to every service.
        var generatorProvider = builder.Configuration.GetValue("Llm:Generator:Provider", builder.Configuration.GetValue("Llm:Provider", LlmProvider.Offline));
        services.AddOptions<LlmModelOptions>(GeneratorOptions).BindConfiguration("Llm:Generator")
            .PostConfigure(o => o.Provider = generatorProvider)
            .ValidateDataAnnotations()
            .Validate(o => o.IsComplete(), "Llm:Generator:Endpoint (an absolute URL, e.g. http://localhost:11434/v1) and Llm:Generator:Model are required when the generator's provider (Llm:Generator:Provider, else Llm:Provider) is OpenAI or AzureOpenAI; AzureOpenAI also needs Llm:Generator:ApiKey.")
            .ValidateOnStart();
        // The agent judges itself only when Llm:Judge:Provider says so; otherwise the validation service's semantic stage decides.
        services.AddOptions<LlmModelOptions>(JudgeOptions).BindConfiguration("Llm:Judge")
            .ValidateDataAnnotations()
            .Validate(o => o.IsComplete(), "Llm:Judge:Endpoint (an absolute URL) and Llm:Judge:Model are required when Llm:Judge:Provider is OpenAI or AzureOpenAI; AzureOpenAI also needs Llm:Judge:ApiKey.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        // Generated SQL runs on the replica; learning memory and conversations live on the primary.
        builder.AddKeyedNpgsqlDataSource("replica");
        builder.AddKeyedNpgsqlDataSource("primary");
        // /ready: both databases; /health also names a downstream service that cannot serve.
        builder.TagHealthChecks(name => name.StartsWith("PostgreSql", StringComparison.Ordinal), HealthTags.Ready);
        builder.AddDownstreamHealthCheck("validation");

        // Aspire service discovery (http://_grpc.validation); GrpcClients:validation:Address overrides it.
        // Both downstream clients forward the caller's token: the tenant and scopes are the caller's, not the agent's.
        builder.AddGrpcServiceClient<ValidationService.ValidationServiceClient>("validation", TimeSpan.FromSeconds(60)).ForwardCallerCredential();

        services.AddSingleton<ISqlValidator, GrpcSqlValidator>();
        services.AddSingleton<IQueryExecutor, ReplicaQueryExecutor>();
        services.AddSingleton<ILearningMemory>(sp => new LearningMemoryStore(sp.GetRequiredKeyedService<Npgsql.NpgsqlDataSource>("primary"),
            sp.GetRequiredService<IOptions<AgentOptions>>(), sp.GetRequiredService<IOptions<AgentOptions>>().Value.MemoryByMeaning ? sp.GetRequiredService<ISentenceEmbeddings>() : null));
        services.AddSingleton<IVocabularySource, VocabularySource>();
        // Prediction questions go to the prediction service when it is known (Aspire reference or GrpcClients:prediction:Address).
        if (!string.IsNullOrWhiteSpace(builder.Configuration["GrpcClients:prediction:Address"]) || builder.Configuration.GetSection("services:prediction").Exists())
        {
            builder.AddGrpcServiceClient<StrategicAgent.Protos.Prediction.V1.PredictionService.PredictionServiceClient>("prediction", TimeSpan.FromSeconds(30))
                .ForwardCallerCredential();
            builder.AddDownstreamHealthCheck("prediction");
            services.AddSingleton<IPredictionTool>(sp =>
            {
                var o = sp.GetRequiredService<IOptionsMonitor<LlmModelOptions>>().Get(GeneratorOptions);
                return new GrpcPredictionTool(
                    sp.GetRequiredService<StrategicAgent.Protos.Prediction.V1.PredictionService.PredictionServiceClient>(),
                    sp.GetRequiredService<IVocabularySource>(), sp.GetRequiredService<ILogger<GrpcPredictionTool>>(),
                    o.Provider == LlmProvider.Offline ? null : new PredictionLlm(KernelFactory.Create(o)));
            });
        }
        services.TryAddSingleton<IPredictionTool, UnavailablePredictionTool>();
        // Conversations are written through to the primary unless Agent:PersistConversations is false.
        var persistConversations = builder.Configuration.GetValue($"{AgentOptions.Section}:{nameof(AgentOptions.PersistConversations)}", true);
        if (persistConversations)
        {
            services.AddSingleton<ConversationArchive>();
            services.AddHostedService(sp => sp.GetRequiredService<ConversationArchive>());
        }
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            return new ConversationStore(sp.GetRequiredService<TimeProvider>(), o.ConversationCapacity, TimeSpan.FromMinutes(o.ConversationIdleMinutes),
                persistConversations ? sp.GetRequiredService<ConversationArchive>() : null);
        });
        services.AddSingleton<ISqlGenerator>(sp =>
        {
            var o = sp.GetRequiredService<IOptionsMonitor<LlmModelOptions>>().Get(GeneratorOptions);
            return o.Provider == LlmProvider.Offline
                ? ActivatorUtilities.CreateInstance<OfflineSqlGenerator>(sp)
                : new SemanticKernelSqlGenerator(KernelFactory.Create(o), o, sp.GetRequiredService<IVocabularySource>(),
                    sp.GetRequiredService<ILogger<SemanticKernelSqlGenerator>>());
        });
        var judgeProvider = builder.Configuration.GetValue("Llm:Judge:Provider", LlmProvider.Offline);
        if (judgeProvider != LlmProvider.Offline)
        {
            services.AddSingleton<ISqlJudge>(sp =>
            {
                var o = sp.GetRequiredService<IOptionsMonitor<LlmModelOptions>>().Get(JudgeOptions);
                return new LlmSqlJudge(KernelFactory.Create(o), o, sp.GetRequiredService<ILogger<LlmSqlJudge>>());
            });
        }
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            return new ResultCache(sp.GetRequiredService<TimeProvider>(), o.ResultCacheSeconds, o.ResultCacheEntries);
        });
        // One sentence-embedding component for suggestions and memory recall (loaded on first use).
        services.AddSingleton<ISentenceEmbeddings, MiniLmSentenceEmbeddings>();
        services.AddSingleton<IQuestionSuggester>(sp =>
            sp.GetRequiredService<IOptions<AgentOptions>>().Value.Suggestions == SuggestionRanking.Embeddings
                ? new EmbeddingSuggester(SemanticModel.Default, sp.GetRequiredService<ISentenceEmbeddings>(), sp.GetRequiredService<ILogger<EmbeddingSuggester>>())
                : new LexicalSuggester(SemanticModel.Default));
        services.AddSingleton<AskLoop>();
        return builder;
    }

    /// <summary>The whole host: service defaults, gRPC defaults and endpoints, the agent's services, AgentService.</summary>
    public static WebApplication BuildAgentApp(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.AddGrpcDefaults();
        builder.UseServiceEndpoints();
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGrpcDefaults();
        app.MapGrpcService<AgentGrpcService>();
        return app;
    }
}
