using Grpc.Core;
using StrategicAgent.Protos.Agent.V1;
using StrategicAgent.ServiceDefaults.Auth;
using Loop = StrategicAgent.Agent.Domain.Loop;

namespace StrategicAgent.Agent.Grpc;

/// <summary>gRPC surface of the loop: Ask (unary) and AskStream (each stage as it happens, then the answer).</summary>
public sealed partial class AgentGrpcService(Loop.AskLoop loop, ILogger<AgentGrpcService> logger) : AgentService.AgentServiceBase
{
    public override async Task<AskResponse> Ask(AskRequest request, ServerCallContext context)
    {
        var answer = await RunAsync(request, null, context);
        return ToResponse(answer);
    }

    /// <summary>The semantic layer's catalog: what can be asked, with definitions, units and example questions.</summary>
    public override Task<Catalog> GetCatalog(GetCatalogRequest request, ServerCallContext context) => Task.FromResult(CatalogMapper.Default);

    public override async Task AskStream(AskRequest request, IServerStreamWriter<AskEvent> responseStream, ServerCallContext context)
    {
        // Steps are written in order; the writer allows one write at a time, which the loop's sequential awaits guarantee.
        var answer = await RunAsync(request, async (step, ct) =>
            await responseStream.WriteAsync(new AskEvent { Step = ToStep(step) }, ct), context);
        await responseStream.WriteAsync(new AskEvent { Answer = ToResponse(answer) }, context.CancellationToken);
    }

    private async Task<Loop.AgentAnswer> RunAsync(AskRequest request, Func<Loop.TraceEntry, CancellationToken, ValueTask>? onStep, ServerCallContext context)
    {
        try
        {
            // The tenant is the verified caller's; the calls to validation and prediction forward its token.
            var clientId = context.GetCaller().ClientId;
            var answer = await loop.AskAsync(new Loop.AskInput(request.Question, clientId, request.ConversationId), onStep, context.CancellationToken);
            LogAnswered(clientId, answer.ConversationId, answer.Status, answer.Attempts);
            return answer;
        }
        catch (ArgumentException ex)
        {
            // The caller sent no parameter called "input": keep .NET's " (Parameter 'input')" out of the message.
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            throw new RpcException(new Status(StatusCode.InvalidArgument, message));
        }
        catch (Loop.ValidationUnavailableException ex)
        {
            LogDependencyFailed(ex, "validation");
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message + "; unvalidated SQL is never run, try again when the validation service is up."));
        }
        catch (Npgsql.NpgsqlException ex)
        {
            LogDependencyFailed(ex, "database");
            throw new RpcException(new Status(StatusCode.Unavailable, "the database is unreachable: " + ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "the caller cancelled the request; the running query was cancelled too."));
        }
    }

    public static AskResponse ToResponse(Loop.AgentAnswer a)
    {
        var r = new AskResponse
        {
            Status = ToProto(a.Status),
            Answer = a.Text,
            Sql = a.Sql,
            ConversationId = a.ConversationId,
            Confidence = a.Confidence,
            Attempts = a.Attempts,
            Reading = a.Reading,
        };
        r.Columns.AddRange(a.Columns);
        r.RowsJson.AddRange(a.Rows.Select(RowJson.Serialize));
        r.Trace.AddRange(a.Trace.Select(ToStep));
        return r;
    }

    private static TraceStep ToStep(Loop.TraceEntry e) => new()
    {
        Attempt = e.Attempt,
        Stage = ToProto(e.Stage),
        Verdict = ToProto(e.Verdict),
        Ms = e.Ms,
        Detail = e.Detail,
        PromptTokens = e.PromptTokens,
        CompletionTokens = e.CompletionTokens,
    };

    // The domain's closed sets map one to one onto the proto's enums (which add UNSPECIFIED = 0).
    public static Stage ToProto(Loop.Stage s) => s switch
    {
        Loop.Stage.Understand => Stage.Understand,
        Loop.Stage.Memory => Stage.Memory,
        Loop.Stage.Generate => Stage.Generate,
        Loop.Stage.Syntax => Stage.Syntax,
        Loop.Stage.Static => Stage.Static,
        Loop.Stage.Cost => Stage.Cost,
        Loop.Stage.Semantic => Stage.Semantic,
        Loop.Stage.Execute => Stage.Execute,
        Loop.Stage.Results => Stage.Results,
        Loop.Stage.Answer => Stage.Answer,
        Loop.Stage.Predict => Stage.Predict,
        Loop.Stage.Validate => Stage.Validate,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "a stage without a proto counterpart"),
    };

    public static Verdict ToProto(Loop.Verdict v) => v switch
    {
        Loop.Verdict.Pass => Verdict.Pass,
        Loop.Verdict.Fail => Verdict.Fail,
        Loop.Verdict.Warn => Verdict.Warn,
        Loop.Verdict.Skip => Verdict.Skip,
        Loop.Verdict.Info => Verdict.Info,
        _ => throw new ArgumentOutOfRangeException(nameof(v), v, "a verdict without a proto counterpart"),
    };

    public static AnswerStatus ToProto(Loop.AnswerStatus s) => s switch
    {
        Loop.AnswerStatus.Answered => AnswerStatus.Answered,
        Loop.AnswerStatus.Refused => AnswerStatus.Refused,
        Loop.AnswerStatus.Failed => AnswerStatus.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "a status without a proto counterpart"),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Ask for client {ClientId} conversation {ConversationId}: {Status} after {Attempts} attempt(s)")]
    private partial void LogAnswered(long clientId, string conversationId, Loop.AnswerStatus status, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ask failed: {Dependency} unavailable")]
    private partial void LogDependencyFailed(Exception ex, string dependency);
}
