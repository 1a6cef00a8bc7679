using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using StrategicAgent.ServiceDefaults.Auth;
using StrategicAgent.Protos.Agent.V1;

namespace StrategicAgent.Gateway.Tests.Fakes;

/// <summary>
/// Streams three steps 150 ms apart, then the answer. Question "status:X" fails at once,
/// "midfail:X" fails after the first step, "badrow" answers a row that is not JSON.
/// </summary>
public sealed class FakeAgentService : AgentService.AgentServiceBase
{
    public const int StepDelayMs = 150;

    /// <summary>Questions whose stream was cancelled by the gateway (the HTTP caller went away).</summary>
    public ConcurrentDictionary<string, bool> Cancelled { get; } = new();

    public override Task<AskResponse> Ask(AskRequest request, ServerCallContext context)
    {
        FakeBehaviour.ThrowIfAsked(request.Question);
        return Task.FromResult(Answer(request, context));
    }

    public override async Task AskStream(AskRequest request, IServerStreamWriter<AskEvent> responseStream, ServerCallContext context)
    {
        FakeBehaviour.ThrowIfAsked(request.Question);
        try
        {
            Stage[] stages = [Stage.Understand, Stage.Generate, Stage.Syntax];
            for (var i = 0; i < stages.Length; i++)
            {
                if (i > 0)
                {
                    await Task.Delay(request.Question.StartsWith("slow", StringComparison.Ordinal) ? 10_000 : StepDelayMs, context.CancellationToken);
                }
                await responseStream.WriteAsync(new AskEvent { Step = Step(stages[i]) }, context.CancellationToken);
                if (request.Question.StartsWith("midfail:", StringComparison.Ordinal))
                {
                    var code = Enum.Parse<StatusCode>(request.Question["midfail:".Length..]);
                    throw new RpcException(new Status(code, FakeBehaviour.FakeDetail(code)));
                }
            }
            await Task.Delay(StepDelayMs, context.CancellationToken);
            await responseStream.WriteAsync(new AskEvent { Answer = Answer(request, context) }, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            Cancelled[request.Question] = true;
            throw;
        }
    }

    /// <summary>A catalog of one metric and one dimension.</summary>
    public override Task<Catalog> GetCatalog(GetCatalogRequest request, ServerCallContext context) =>
        Task.FromResult(new Catalog
        {
            Metrics = { new CatalogMetric { Name = "issues_created", Title = "Issues created", Family = "issues", Entity = Entity.Issue, Aggregation = Aggregation.Count, Unit = "issues" } },
            Dimensions = { new CatalogDimension { Name = "team", Label = "Team", Entities = { Entity.Issue }, TenantNames = true } },
        });

    private static TraceStep Step(Stage stage) => new()
    {
        Attempt = 1, Stage = stage, Verdict = Verdict.Pass, Ms = 1.5, Detail = stage.ToString().ToLowerInvariant() + " ok", PromptTokens = 3, CompletionTokens = 4,
    };

    private static AskResponse Answer(AskRequest request, ServerCallContext context) => new()
    {
        Status = AnswerStatus.Answered,
        Answer = "client:" + context.GetCaller().ClientId.ToString(CultureInfo.InvariantCulture),
        Sql = "SELECT t.name, avg(i.total_lead_time_seconds) FROM issues i JOIN teams t ON t.id = i.assignee_id GROUP BY 1",
        Columns = { "team", "lead_time_days" },
        RowsJson = { request.Question == "badrow" ? "not json" : "[\"Payments\", 4.5]", "[\"Core\", null]" },
        Trace = { Step(Stage.Understand), Step(Stage.Answer) },
        ConversationId = string.IsNullOrEmpty(request.ConversationId) ? "conv-new" : request.ConversationId,
        Confidence = FakeBehaviour.DeadlineSeconds(context),
    };
}
