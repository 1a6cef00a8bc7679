using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StrategicAgent.Gateway.Auth;
using StrategicAgent.Gateway.Errors;
using StrategicAgent.Gateway.Pins;

namespace StrategicAgent.Gateway.Apis;

/// <summary>
/// /api/v1/pins: answers a tenant pinned to its dashboard in the web UI, stored on the primary
/// (<see cref="PinStore"/>). A pin is the list of questions that produced the answer; the dashboard
/// asks them again when it opens, so it shows today's numbers.
/// </summary>
public static partial class PinsApi
{
    public static RouteGroupBuilder MapPinsApi(this RouteGroupBuilder api)
    {
        var pins = api.MapGroup("/pins").WithTags("Dashboard");
        pins.MapGet("/", List)
            .WithName("ListPins")
            .WithSummary("The answers pinned to the key's tenant's dashboard, oldest first");
        pins.MapPost("/", Add)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("AddPin")
            .WithSummary("Pin an answer to the tenant's dashboard")
            .WithDescription($"title: what the dashboard card says (1–{PinStore.MaxTitleLength} characters); questions: the conversation's " +
                             $"questions up to the pinned answer, in order (1–{PinStore.MaxQuestions}, each at most {PinStore.MaxQuestionLength} " +
                             $"characters), asked again in a fresh conversation on refresh. 409 when the tenant already has " +
                             $"{PinStore.MaxPinsPerTenant} pins.");
        pins.MapDelete("/{id:long}", Delete)
            .WithName("DeletePin")
            .WithSummary("Unpin an answer (404 when the tenant has no pin with this id)");
        return api;
    }

    public static async Task<Results<Ok<PinList>, ProblemHttpResult>> List(
        ClaimsPrincipal user, PinStore store, ILoggerFactory loggers, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(new PinList((await store.ListAsync(user.ClientId(), ct)).Select(ToDto).ToList()));
        }
        catch (NpgsqlException ex) when (!ct.IsCancellationRequested)
        {
            return Unavailable(loggers, ex);
        }
    }

    public static async Task<Results<Created<PinDto>, ValidationProblem, ProblemHttpResult>> Add(
        PinBody body, ClaimsPrincipal user, PinStore store, ILoggerFactory loggers, CancellationToken ct)
    {
        var title = body.Title?.Trim() ?? "";
        if (title.Length is 0 or > PinStore.MaxTitleLength || RequestErrors.HasNul(title))
        {
            return RequestErrors.Problem("title", $"title is required: what the dashboard card says, at most {PinStore.MaxTitleLength} characters (no NUL character).");
        }
        var questions = body.Questions?.Select(q => q?.Trim() ?? "").ToList() ?? [];
        if (questions.Count is 0 or > PinStore.MaxQuestions)
        {
            return RequestErrors.Problem("questions",
                $"questions is required: the conversation's questions up to the pinned answer, in order (1 to {PinStore.MaxQuestions}).");
        }
        var bad = questions.FindIndex(q => q.Length is 0 or > PinStore.MaxQuestionLength || RequestErrors.HasNul(q));
        if (bad >= 0)
        {
            return RequestErrors.Problem($"questions[{bad}]", $"questions[{bad}] must be a question of 1 to {PinStore.MaxQuestionLength} characters (no NUL character).");
        }
        try
        {
            var pin = await store.AddAsync(user.ClientId(), title, questions, $"api-key {user.KeyPrefix()}", ct);
            if (pin is null)
            {
                return TypedResults.Problem(
                    $"The dashboard already has {PinStore.MaxPinsPerTenant} pins, the most it can hold. Unpin one first (DELETE /api/v1/pins/{{id}}).",
                    statusCode: StatusCodes.Status409Conflict, title: "Conflict");
            }
            var dto = ToDto(pin);
            return TypedResults.Created($"/api/v1/pins/{dto.Id}", dto);
        }
        catch (NpgsqlException ex) when (!ct.IsCancellationRequested)
        {
            return Unavailable(loggers, ex);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        long id, ClaimsPrincipal user, PinStore store, ILoggerFactory loggers, CancellationToken ct)
    {
        try
        {
            return await store.DeleteAsync(user.ClientId(), id, ct)
                ? TypedResults.NoContent()
                : TypedResults.Problem($"This tenant has no pin {id}.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
        }
        catch (NpgsqlException ex) when (!ct.IsCancellationRequested)
        {
            return Unavailable(loggers, ex);
        }
    }

    private static ProblemHttpResult Unavailable(ILoggerFactory loggers, NpgsqlException ex)
    {
        LogStoreFailed(loggers.CreateLogger(typeof(PinsApi).FullName!), ex);
        return TypedResults.Problem("Pinned answers cannot be read or changed right now (the primary is unavailable). Try again shortly.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable",
            // Retry-After itself is set with it (RetryHint, whichever way the result is written).
            extensions: new Dictionary<string, object?> { [RetryHint.Extension] = RetryHint.DefaultSeconds });
    }

    private static PinDto ToDto(Pin p) => new(p.Id, p.Title, p.Questions, p.CreatedBy, p.CreatedAt);

    [LoggerMessage(LogLevel.Error, "The pin store on the primary failed")]
    private static partial void LogStoreFailed(ILogger logger, Exception ex);
}

public sealed record PinBody(string? Title, List<string?>? Questions);

public sealed record PinList(IReadOnlyList<PinDto> Pins);

/// <param name="Questions">Asked again, in order and in one new conversation, to refresh the pinned answer.</param>
/// <param name="CreatedBy">"api-key &lt;prefix&gt;" of the key that pinned it.</param>
public sealed record PinDto(long Id, string Title, IReadOnlyList<string> Questions, string CreatedBy, DateTimeOffset CreatedAt);
