using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using StrategicAgent.Gateway.Errors;
using StrategicAgent.Gateway.Extensions;
using StrategicAgent.Protos.Agent.V1;

namespace StrategicAgent.Gateway.Apis;

/// <summary>/api/v1/agent → AgentService.</summary>
public static partial class AgentApi
{
    public const string StepEvent = "step";
    public const string AnswerEvent = "answer";
    public const string ErrorEvent = "error";

    public static RouteGroupBuilder MapAgentApi(this RouteGroupBuilder api)
    {
        var agent = api.MapGroup("/agent").WithTags("Agent").WithMetadata(DownstreamService.Agent);
        agent.MapPost("/ask", Ask)
            .WithName("Ask")
            .WithSummary("Ask a question")
            .WithDescription("Answers a question in plain language over the key's tenant: the answer, the SQL that produced it, " +
                             "the result table and the validation trace.");
        agent.MapPost("/ask/stream", AskStream)
            .WithName("AskStream")
            .WithSummary("Ask a question, streaming progress")
            .WithDescription("Server-sent events: one `step` event per stage as it happens (data: a trace step), then one " +
                             "`answer` event (data: the same body /ask returns). A failure after the stream started arrives " +
                             "as an `error` event whose data is a ProblemDetails.");
        agent.MapGet("/catalog", GetCatalog)
            .WithName("GetAgentCatalog")
            .WithSummary("What the agent can answer")
            .WithDescription("The semantic layer: metrics with definitions, units, groupings, filters and example questions " +
                             "(recommended questions), the dimensions, conditions, numeric attributes and listings a question can use.");
        return api;
    }

    public static async Task<Ok<CatalogResult>> GetCatalog(
        AgentService.AgentServiceClient client,
        IOptions<DownstreamOptions> downstream,
        CancellationToken ct)
    {
        var c = await client.GetCatalogAsync(new GetCatalogRequest(),
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.AgentDeadline), cancellationToken: ct);
        return TypedResults.Ok(ToCatalog(c));
    }

    internal static CatalogResult ToCatalog(Catalog c) => new(
        c.Metrics.Select(m => new CatalogMetricResult(m.Name, m.Title, m.Family, Snake(m.Entity), Snake(m.Aggregation), m.Unit, m.Definition,
            [.. m.Dimensions], [.. m.Filters], m.DefaultWindowDays == 0 ? null : m.DefaultWindowDays, m.DefaultDimension.Length == 0 ? null : m.DefaultDimension,
            m.DoraBands.Length == 0 ? null : m.DoraBands, [.. m.Examples])).ToList(),
        c.Dimensions.Select(d => new CatalogDimensionResult(d.Name, d.Label, [.. d.Entities.Select(Snake)], [.. d.Values], d.TenantNames, d.Time)).ToList(),
        c.Conditions.Select(x => new CatalogConditionResult(x.Name, Snake(x.Entity), x.Label)).ToList(),
        c.Attributes.Select(a => new CatalogAttributeResult(a.Name, Snake(a.Entity), a.Label, a.Unit)).ToList(),
        c.Listings.Select(l => new CatalogListingResult(l.Name, l.Label, [.. l.Entities.Select(Snake)], l.Ascending ? "asc" : "desc")).ToList());

    /// <summary>An enum value in the JSON as snake case without the proto prefix: ENTITY_PULL_REQUEST → "pull_request".</summary>
    internal static string Snake<T>(T value) where T : struct, Enum
    {
        var name = value.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && !char.IsDigit(name[i - 1]))
            {
                sb.Append('_');
            }
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    public static async Task<Results<Ok<AskResult>, ValidationProblem>> Ask(
        AskBody body,
        AgentService.AgentServiceClient client,
        IOptions<DownstreamOptions> downstream,
        CancellationToken ct)
    {
        if (Check(body) is { } problem)
        {
            return problem;
        }
        var response = await client.AskAsync(ToRequest(body),
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.AgentDeadline), cancellationToken: ct);
        return TypedResults.Ok(ToResult(response));
    }

    public static async Task<Results<ServerSentEventsResult<object>, ValidationProblem>> AskStream(
        AskBody body,
        AgentService.AgentServiceClient client,
        IOptions<DownstreamOptions> downstream,
        ILoggerFactory loggers,
        HttpContext http,
        CancellationToken ct)
    {
        if (Check(body) is { } problem)
        {
            return problem;
        }

        var call = client.AskStream(ToRequest(body),
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.AgentDeadline), cancellationToken: ct);
        try
        {
            // Wait for the first event before answering: a call that fails at once (bad question,
            // agent down) still gets a proper HTTP status and ProblemDetails, not a 200 stream.
            if (!await call.ResponseStream.MoveNext(ct))
            {
                throw new DownstreamContractException(DownstreamService.Agent.Name, "The agent's stream ended without an answer.");
            }
        }
        catch
        {
            call.Dispose();
            throw;
        }
        var logger = loggers.CreateLogger(typeof(AgentApi).FullName!);
        return TypedResults.ServerSentEvents(Events(call, http, logger, ct));
    }

    private static async IAsyncEnumerable<SseItem<object>> Events(
        AsyncServerStreamingCall<AskEvent> call, HttpContext http, ILogger logger, [EnumeratorCancellation] CancellationToken ct)
    {
        using (call)
        {
            var first = true;
            while (true)
            {
                SseItem<object> item;
                var last = false;
                try
                {
                    if (!first && !await call.ResponseStream.MoveNext(ct))
                    {
                        yield break;
                    }
                    first = false;
                    item = ToSse(call.ResponseStream.Current);
                }
                catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
                {
                    // The caller went away; disposing the call cancels the agent's work too.
                    LogCallerGone(logger);
                    yield break;
                }
                catch (RpcException ex) when (!ct.IsCancellationRequested)
                {
                    // Headers are gone: the failure becomes an `error` event carrying the same ProblemDetails.
                    LogStreamFailed(logger, ex.StatusCode, ex.Status.Detail);
                    item = ErrorItem(RpcStatusMapping.ToHttpStatus(ex.StatusCode), ex.StatusCode.ToString(),
                        RpcStatusMapping.IsCallersFault(RpcStatusMapping.ToHttpStatus(ex.StatusCode)) && !string.IsNullOrWhiteSpace(ex.Status.Detail)
                            ? ex.Status.Detail
                            : RpcStatusMapping.ServerSideDetail(DownstreamService.Agent.Name, ex.StatusCode),
                        http);
                    last = true;
                }
                catch (DownstreamContractException ex)
                {
                    LogStreamUnreadable(logger, ex);
                    item = ErrorItem(StatusCodes.Status502BadGateway, null,
                        "The agent service sent an answer the gateway could not read.", http);
                    last = true;
                }
                yield return item;
                if (last)
                {
                    yield break;
                }
            }
        }
    }

    private static SseItem<object> ToSse(AskEvent e) => e.EventCase switch
    {
        AskEvent.EventOneofCase.Step => new SseItem<object>(ToStep(e.Step), StepEvent),
        AskEvent.EventOneofCase.Answer => new SseItem<object>(ToResult(e.Answer), AnswerEvent),
        _ => throw new DownstreamContractException(DownstreamService.Agent.Name, "The agent sent an empty event."),
    };

    private static SseItem<object> ErrorItem(int status, string? grpcStatus, string detail, HttpContext http)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = RpcStatusMapping.Title(status),
            Detail = detail,
            Extensions = { ["downstream"] = DownstreamService.Agent.Name },
        };
        if (grpcStatus is not null)
        {
            problem.Extensions["grpc_status"] = grpcStatus;
        }
        Problems.AddTraceId(problem, http);
        RetryHint.Apply(problem, http); // the headers are gone: the hint is in the event only
        return new SseItem<object>(problem, ErrorEvent);
    }

    private static ValidationProblem? Check(AskBody body) =>
        string.IsNullOrWhiteSpace(body.Question)
            ? RequestErrors.Problem("question", "question is required: the question to answer, in plain language.")
            : null;

    private static AskRequest ToRequest(AskBody body) => new()
    {
        Question = body.Question!.Trim(),
        ConversationId = body.ConversationId ?? "",
    };

    internal static AskResult ToResult(AskResponse r) => new(
        JsonName(r.Status),
        r.Answer,
        r.Sql,
        r.Columns.ToList(),
        r.RowsJson.Select(ParseRow).ToList(),
        r.Trace.Select(ToStep).ToList(),
        r.ConversationId,
        r.Confidence)
    {
        Reading = r.Reading,
    };

    private static AskStep ToStep(TraceStep s) =>
        new(s.Attempt, JsonName(s.Stage), JsonName(s.Verdict), s.Ms, s.Detail, s.PromptTokens, s.CompletionTokens);

    /// <summary>
    /// The agent's enums (Stage, Verdict, AnswerStatus) in the JSON as the lower-case name of the
    /// value, without the proto prefix: STAGE_UNDERSTAND → "understand", ANSWER_STATUS_REFUSED → "refused".
    /// </summary>
    internal static string JsonName<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static JsonElement ParseRow(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new DownstreamContractException(DownstreamService.Agent.Name, "A result row is not a JSON array.");
            }
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new DownstreamContractException(DownstreamService.Agent.Name, "A result row is not valid JSON.", ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "The agent's answer stream failed: {GrpcStatus} {GrpcDetail}")]
    private static partial void LogStreamFailed(ILogger logger, StatusCode grpcStatus, string grpcDetail);

    [LoggerMessage(LogLevel.Debug, "The caller closed the answer stream before it ended")]
    private static partial void LogCallerGone(ILogger logger);

    [LoggerMessage(LogLevel.Error, "The agent's answer stream sent an unreadable event")]
    private static partial void LogStreamUnreadable(ILogger logger, Exception ex);
}

public sealed record AskBody(string? Question, string? ConversationId);

/// <param name="Status">answered | refused | failed</param>
/// <param name="Rows">Each row a JSON array of values, in column order.</param>
public sealed record AskResult(
    string Status,
    string Answer,
    string Sql,
    IReadOnlyList<string> Columns,
    IReadOnlyList<JsonElement> Rows,
    IReadOnlyList<AskStep> Trace,
    string ConversationId,
    double Confidence)
{
    /// <summary>What was computed, in one line (measure and unit, rows, grouping, window, order, limit); empty when nothing was.</summary>
    public string Reading { get; init; } = "";
}

/// <param name="Stage">understand | memory | generate | syntax | static | cost | semantic | execute | results | answer | predict</param>
/// <param name="Verdict">pass | fail | warn | skip | info</param>
public sealed record AskStep(int Attempt, string Stage, string Verdict, double Ms, string Detail, long PromptTokens, long CompletionTokens);

/// <summary>GET /api/v1/agent/catalog: what the agent can answer (docs/api.md).</summary>
public sealed record CatalogResult(
    IReadOnlyList<CatalogMetricResult> Metrics,
    IReadOnlyList<CatalogDimensionResult> Dimensions,
    IReadOnlyList<CatalogConditionResult> Conditions,
    IReadOnlyList<CatalogAttributeResult> Attributes,
    IReadOnlyList<CatalogListingResult> Listings);

/// <param name="Examples">Recommended questions for the metric.</param>
public sealed record CatalogMetricResult(
    string Name, string Title, string Family, string Entity, string Aggregation, string Unit, string Definition,
    IReadOnlyList<string> Dimensions, IReadOnlyList<string> Filters, int? DefaultWindowDays, string? DefaultDimension, string? DoraBands,
    IReadOnlyList<string> Examples);

public sealed record CatalogDimensionResult(string Name, string Label, IReadOnlyList<string> Entities, IReadOnlyList<string> Values, bool TenantNames, bool Time);

public sealed record CatalogConditionResult(string Name, string Entity, string Label);

public sealed record CatalogAttributeResult(string Name, string Entity, string Label, string Unit);

/// <param name="Order">asc | desc</param>
public sealed record CatalogListingResult(string Name, string Label, IReadOnlyList<string> Entities, string Order);
