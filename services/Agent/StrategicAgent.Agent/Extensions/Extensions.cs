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
        // The generator's provider is Llm:Generator:Provider, else Llm:Provider (what the AppHost passes to every service).
        builder.AddLlm(GeneratorOptions);
        // The agent judges itself only when Llm:Judge:Provider says so; otherwise the validation service's semantic stage decides.
        var judgeProvider = builder.AddLlm(JudgeOptions, sharedProviderApplies: false);
        services.TryAddSingleton(TimeProvider.System);

        // /health also names a downstream service that cannot serve (the databases are BuildAgentApp's, in /ready).
        builder.AddDownstreamHealthCheck("validation");

        // Aspire service discovery (http://_grpc.validation); GrpcClients:validation:Address overrides it.
        // Both downstream clients forward the caller's token: the tenant and scopes are the caller's, not the agent's.
        builder.AddGrpcServiceClient<ValidationService.ValidationServiceClient>("validation", TimeSpan.FromSeconds(60)).ForwardCallerCredential();

        services.AddSingleton<ISqlValidator, GrpcSqlValidator>();
        services.AddSingleton<IQueryExecutor, ReplicaQueryExecutor>();
        services.AddSingleton<ILearningMemory>(sp => new LearningMemoryStore(sp.GetRequiredKeyedService<Npgsql.NpgsqlDataSource>(ReplicaDataSourceExtensions.PrimaryServiceKey),
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
                var o = sp.GetRequiredService<IOptionsMonitor<LlmOptions>>().Get(GeneratorOptions);
                return new GrpcPredictionTool(
                    sp.GetRequiredService<StrategicAgent.Protos.Prediction.V1.PredictionService.PredictionServiceClient>(),
                    sp.GetRequiredService<IVocabularySource>(), sp.GetRequiredService<ILogger<GrpcPredictionTool>>(),
                    o.Provider == LlmProvider.Offline ? null : new PredictionLlm(o.CreateKernel()));
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
            var o = sp.GetRequiredService<IOptionsMonitor<LlmOptions>>().Get(GeneratorOptions);
            return o.Provider == LlmProvider.Offline
                ? ActivatorUtilities.CreateInstance<OfflineSqlGenerator>(sp)
                : new SemanticKernelSqlGenerator(o.CreateKernel(), o, sp.GetRequiredService<IVocabularySource>(),
                    sp.GetRequiredService<ILogger<SemanticKernelSqlGenerator>>());
        });
        if (judgeProvider != LlmProvider.Offline)
        {
            services.AddSingleton<ISqlJudge>(sp =>
            {
                var o = sp.GetRequiredService<IOptionsMonitor<LlmOptions>>().Get(JudgeOptions);
                return new LlmSqlJudge(o.CreateKernel(), o, sp.GetRequiredService<ILogger<LlmSqlJudge>>());
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

    /// <summary>
    /// The whole host, in the order every service's follows (defaults → auth → the agent's own: its two
    /// databases, downstream clients, the loop → endpoints). Program.cs, the tests and the benchmark run it.
    /// </summary>
    public static WebApplication BuildAgentApp(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.UseServiceEndpoints();
        // Generated SQL runs on the replica (the unkeyed data source); learning memory and conversations live
        // on the primary (keyed "primary"). Both are in /ready: without either the agent cannot answer.
        builder.AddReplicaDataSource("the agent runs generated SQL on the replica, as the tenant.", applicationName: "agent");
        builder.AddPrimaryDataSource("the agent keeps its learning memory and conversations on the primary.", applicationName: "agent");
        builder.AddGrpcDefaults();
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGrpcDefaults();
        app.MapGrpcService<AgentGrpcService>();
        return app;
    }
}
