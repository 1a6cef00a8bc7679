using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using StrategicAgent.Agent.Ai;
using StrategicAgent.ServiceDefaults.Llm;
using StrategicAgent.Agent.Data;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Grpc;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Testing;

namespace StrategicAgent.Agent.Tests;

/// <summary>Builds the real loop: validation over gRPC, replica executor, memory on the primary.</summary>
public static class LoopHarness
{
    private static readonly Dictionary<string, GrpcChannel> Channels = [];

    /// <summary>
    /// Starts the validation service on the first validation, so refusals need no service. Each call
    /// carries a caller token of the tenant it validates for, as the agent's forwarded token would.
    /// </summary>
    private sealed class LazyValidator(AgentFixture db) : ISqlValidator
    {
        private readonly Dictionary<long, ISqlValidator> _byTenant = [];

        private async Task<ISqlValidator> InnerAsync(long clientId)
        {
            var channel = await ChannelAsync(db);
            lock (_byTenant)
            {
                if (!_byTenant.TryGetValue(clientId, out var validator))
                {
                    _byTenant[clientId] = validator = new GrpcSqlValidator(new ValidationService.ValidationServiceClient(channel.As(clientId)), AgentFixture.Clock());
                }
                return validator;
            }
        }

        public async Task<ValidationOutcome> ValidateAsync(string sql, string question, Domain.Planning.QueryPlan? plan, long clientId, bool skipSemantic, bool deferTieProbe, CancellationToken ct) =>
            await (await InnerAsync(clientId)).ValidateAsync(sql, question, plan, clientId, skipSemantic, deferTieProbe, ct);

        // Result shapes are no tenant's data: any tenant's token will do.
        public async Task<ResultCheck> ValidateResultsAsync(string shape, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows, CancellationToken ct) =>
            await (await InnerAsync(AgentHost.TestTenant)).ValidateResultsAsync(shape, columns, rows, ct);
    }

    public static Task<ISqlValidator> ValidatorAsync(AgentFixture db) => Task.FromResult<ISqlValidator>(new LazyValidator(db));

    private static async Task<GrpcChannel> ChannelAsync(AgentFixture db)
    {
        var address = await db.ValidationAddressAsync();
        lock (Channels)
        {
            if (!Channels.TryGetValue(address, out var channel))
            {
                channel = GrpcChannel.ForAddress(address);
                Channels[address] = channel;
            }
            return channel;
        }
    }

    public static LlmOptions Model(int timeoutSeconds = 30, int retries = 0) => new()
    {
        Provider = LlmProvider.OpenAI,
        Endpoint = "http://127.0.0.1:1/v1",
        Model = "scripted",
        TimeoutSeconds = timeoutSeconds,
        MaxRetries = retries,
        EnableTools = false,
    };

    public static SemanticKernelSqlGenerator Generator(ScriptedChatClient client, AgentFixture db, LlmOptions? o = null) =>
        new(ScriptedChatClient.Kernel(client), o ?? Model(), db.Vocabulary(), NullLogger<SemanticKernelSqlGenerator>.Instance);

    public static LlmSqlJudge Judge(ScriptedChatClient client, LlmOptions? o = null) =>
        new(ScriptedChatClient.Kernel(client), o ?? Model(), NullLogger<LlmSqlJudge>.Instance);

    public static async Task<AskLoop> LoopAsync(AgentFixture db, ISqlGenerator generator, ISqlJudge? judge = null, Action<AgentOptions>? configure = null, ConversationStore? conversations = null,
        IPredictionTool? predictions = null)
    {
        var options = db.LoopOptions(configure);
        var clock = AgentFixture.Clock();
        return new AskLoop(
            generator,
            await ValidatorAsync(db),
            db.Executor(options),
            new LearningMemoryStore(db.PrimaryAsAgent, options, options.Value.MemoryByMeaning ? Embeddings.Shared : null),
            db.Vocabulary(),
            predictions ?? new UnavailablePredictionTool(),
            conversations ?? new ConversationStore(clock, 100, TimeSpan.FromMinutes(30)),
            options,
            clock,
            NullLogger<AskLoop>.Instance,
            judge);
    }

    public static string Lines(AgentAnswer a) =>
        string.Join("\n", a.Trace.Select(t => $"  #{t.Attempt} {t.Stage,-9} {t.Verdict,-4} {t.Ms,8:0.0} ms  {t.Detail}"));
}
