using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StrategicAgent.Web.Auth;
using StrategicAgent.Web.Extensions;

namespace StrategicAgent.Web.Gateway;

/// <summary>
/// The gateway's HTTP API, the web UI's only way to the system. Every call carries the signed-in
/// user's API key (<see cref="ApiKeyAccessor"/>, read from the encrypted sign-in cookie on the
/// server, never sent to the browser) and fails with a <see cref="GatewayException"/> that holds a
/// readable <see cref="ApiProblem"/> with the gateway's trace id.
/// </summary>
public sealed class GatewayClient(HttpClient http, ApiKeyAccessor keys, IOptions<WebOptions> options)
{
    public const string HttpClientName = "gateway";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly WebOptions _options = options.Value;

    /// <summary>Who <paramref name="apiKey"/> is (GET /api/v1/me); signs in and re-checks a session.</summary>
    public Task<MeInfo> MeAsync(string apiKey, CancellationToken ct) =>
        SendAsync<MeInfo>(HttpMethod.Get, "api/v1/me", null, apiKey, ct);

    /// <summary>POST /api/v1/agent/ask/stream: each step as the agent takes it, then the answer.</summary>
    public async IAsyncEnumerable<AskEvent> AskStreamAsync(string question, string? conversationId, [EnumeratorCancellation] CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.AskTimeout);
        using var request = await RequestAsync(HttpMethod.Post, "api/v1/agent/ask/stream", new { question, conversation_id = conversationId }, null);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var answered = false;
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(timeout.Token))
        {
            switch (item.EventType)
            {
                case "step":
                    yield return new AskStepEvent(Deserialize<AskStep>(item.Data));
                    break;
                case "answer":
                    answered = true;
                    yield return new AskAnswerEvent(Deserialize<AskAnswer>(item.Data));
                    break;
                case "error":
                    using (var doc = JsonDocument.Parse(item.Data))
                    {
                        throw new GatewayException(ApiProblem.FromProblemJson(doc.RootElement));
                    }
            }
        }
        if (!answered)
        {
            throw new GatewayException(new ApiProblem(502, "Bad gateway", "The answer stream ended before the answer arrived.", TraceId(response), "agent", null));
        }
    }

    /// <summary>POST /api/v1/agent/ask: the whole answer at once (the dashboard's cards).</summary>
    public Task<AskAnswer> AskAsync(string question, string? conversationId, CancellationToken ct) =>
        SendAsync<AskAnswer>(HttpMethod.Post, "api/v1/agent/ask", new { question, conversation_id = conversationId }, null, ct, _options.AskTimeout, Repeat.Safe);

    /// <summary>The agent's recommended questions (GET /api/v1/agent/catalog), or null while the gateway has no catalog route.</summary>
    public async Task<IReadOnlyList<RecommendedQuestion>?> RecommendedQuestionsAsync(CancellationToken ct)
    {
        try
        {
            var catalog = await SendAsync<JsonElement>(HttpMethod.Get, "api/v1/agent/catalog", null, null, ct);
            return CatalogQuestions.From(catalog);
        }
        catch (GatewayException ex) when (ex.Problem.IsMissingEndpoint)
        {
            return null;
        }
    }

    public Task<PinList> PinsAsync(CancellationToken ct) => SendAsync<PinList>(HttpMethod.Get, "api/v1/pins", null, null, ct);

    public Task<PinInfo> PinAsync(string title, IReadOnlyList<string> questions, CancellationToken ct) =>
        SendAsync<PinInfo>(HttpMethod.Post, "api/v1/pins", new { title, questions }, null, ct);

    public Task UnpinAsync(long id, CancellationToken ct) => SendAsync<JsonElement?>(HttpMethod.Delete, $"api/v1/pins/{id}", null, null, ct);

    public Task<PredictionList<Trajectory>> TrajectoryAsync(IReadOnlyList<string> epicKeys, CancellationToken ct) =>
        SendAsync<PredictionList<Trajectory>>(HttpMethod.Post, "api/v1/predictions/trajectory", new { epic_keys = epicKeys }, null, ct, repeat: Repeat.Safe);

    /// <summary>An epic's Monte Carlo forecast (POST /api/v1/predictions/forecast), or null while the gateway has no forecast route.</summary>
    public async Task<JsonElement?> ForecastAsync(string epicKey, DateOnly? by, CancellationToken ct)
    {
        try
        {
            return await SendAsync<JsonElement>(HttpMethod.Post, "api/v1/predictions/forecast",
                new { epic_keys = new[] { epicKey }, by = by?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }, null, ct, repeat: Repeat.Safe);
        }
        catch (GatewayException ex) when (ex.Problem.IsMissingEndpoint)
        {
            return null;
        }
    }

    public Task<PredictionList<Complexity>> EstimateAsync(string summary, string description, string issueType, string projectKey, CancellationToken ct) =>
        SendAsync<PredictionList<Complexity>>(HttpMethod.Post, "api/v1/predictions/complexity",
            new { new_issues = new[] { new { summary, description, issue_type = issueType, project_key = projectKey } } }, null, ct, repeat: Repeat.Safe);

    public Task<ReworkList> ReworkAsync(string repository, int limit, CancellationToken ct) =>
        SendAsync<ReworkList>(HttpMethod.Post, "api/v1/predictions/rework", new { repository, limit }, null, ct, repeat: Repeat.Safe);

    public Task<AlertList> AlertsAsync(string? severity, bool? acknowledged, CancellationToken ct)
    {
        var query = new List<string> { "limit=200" };
        if (!string.IsNullOrEmpty(severity))
        {
            query.Add("severity=" + Uri.EscapeDataString(severity));
        }
        if (acknowledged is { } a)
        {
            query.Add("acknowledged=" + (a ? "true" : "false"));
        }
        return SendAsync<AlertList>(HttpMethod.Get, "api/v1/alerts?" + string.Join('&', query), null, null, ct);
    }

    public Task<Alert> AcknowledgeAsync(long id, CancellationToken ct) =>
        SendAsync<Alert>(HttpMethod.Post, $"api/v1/alerts/{id}/ack", new { }, null, ct, repeat: Repeat.Safe); // acknowledged twice is acknowledged once

    public Task<ModelHealth> ModelHealthAsync(CancellationToken ct) => SendAsync<ModelHealth>(HttpMethod.Get, "api/v1/health/ml", null, null, ct);

    public Task<ModelList> ModelsAsync(CancellationToken ct) => SendAsync<ModelList>(HttpMethod.Get, "api/v1/models", null, null, ct);

    public Task<ModelVersionList> VersionsAsync(string model, CancellationToken ct) =>
        SendAsync<ModelVersionList>(HttpMethod.Get, $"api/v1/models/{Uri.EscapeDataString(model)}/versions", null, null, ct);

    public Task<ModelHistory> HistoryAsync(string model, CancellationToken ct) =>
        SendAsync<ModelHistory>(HttpMethod.Get, $"api/v1/models/{Uri.EscapeDataString(model)}/history?limit=20", null, null, ct);

    public Task<TrainingRun> TrainAsync(string model, CancellationToken ct) =>
        SendAsync<TrainingRun>(HttpMethod.Post, $"api/v1/models/{Uri.EscapeDataString(model)}/train", new { }, null, ct);

    /// <summary>A run's progress, or null when this gateway instance does not know the run (any more).</summary>
    public async Task<TrainingRun?> RunAsync(string model, string requestId, CancellationToken ct)
    {
        try
        {
            return await SendAsync<TrainingRun>(HttpMethod.Get,
                $"api/v1/models/{Uri.EscapeDataString(model)}/runs/{Uri.EscapeDataString(requestId)}", null, null, ct);
        }
        catch (GatewayException ex) when (ex.Problem.Status == 404)
        {
            return null;
        }
    }

    public Task<DeployResult> DeployAsync(string model, string strategy, long? versionId, CancellationToken ct) =>
        SendAsync<DeployResult>(HttpMethod.Post, $"api/v1/models/{Uri.EscapeDataString(model)}/deploy",
            new { strategy, version_id = versionId }, null, ct);

    /// <summary>Whether a request may be sent again after a 503/429 that says when to come back.</summary>
    private enum Repeat
    {
        /// <summary>GET and DELETE are; a POST is not (a pin, a training run, a deployment would be made twice).</summary>
        ByMethod,

        /// <summary>A POST that only reads (an ask, a prediction) or does nothing the second time (acknowledge).</summary>
        Safe,
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, string? apiKey, CancellationToken ct, TimeSpan? timeout = null,
        Repeat repeat = Repeat.ByMethod)
    {
        var repeatable = repeat == Repeat.Safe || method == HttpMethod.Get || method == HttpMethod.Delete;
        using var response = await SendRetryingAsync(method, path, body, apiKey, timeout ?? _options.CallTimeout, repeatable, ct);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return default!;
        }
        try
        {
            // The content is buffered (ResponseContentRead): the attempt's timeout covered its transfer.
            return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
        }
        catch (JsonException)
        {
            throw new GatewayException(new ApiProblem(502, "Bad gateway", "The gateway sent an answer the web UI could not read.", TraceId(response), null, null));
        }
    }

    /// <summary>
    /// Sends, each attempt within <paramref name="timeout"/>. A 503 or 429 that says when to come back (<c>Retry-After</c>,
    /// which the gateway sends on every one: a service restarting, the prediction service loading the tenant's data) is
    /// asked again after that wait (at most 5 s at a time) as long as the wait ends within <paramref name="timeout"/> of
    /// the first attempt and the request is <paramref name="repeatable"/>; otherwise that answer is shown — the gateway's
    /// own message and trace id. A retry is never cut off half-way by the budget (which would show a bare timeout in
    /// place of what the gateway said, and did so on a loaded machine): the budget decides whether to ask again.
    /// </summary>
    private async Task<HttpResponseMessage> SendRetryingAsync(HttpMethod method, string path, object? body, string? apiKey, TimeSpan timeout,
        bool repeatable, CancellationToken caller)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            using var request = await RequestAsync(method, path, body, apiKey);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(caller);
            attempt.CancelAfter(timeout);
            try
            {
                return await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, attempt.Token, caller);
            }
            catch (GatewayException ex) when (repeatable && ex.RetryAfter is { } retryAfter)
            {
                var wait = retryAfter < MaxRetryWait ? retryAfter : MaxRetryWait;
                if (Stopwatch.GetElapsedTime(started) + wait > timeout)
                {
                    throw; // out of time: what the gateway said (still loading), not a bare timeout
                }
                await Task.Delay(wait, caller);
            }
        }
    }

    private static readonly TimeSpan MaxRetryWait = TimeSpan.FromSeconds(5);

    private async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string path, object? body, string? apiKey)
    {
        var request = new HttpRequestMessage(method, path);
        var key = apiKey ?? await keys.GetAsync() ?? throw new GatewayException(
            new ApiProblem(401, "Unauthorized", "You are not signed in.", Activity.Current?.TraceId.ToString(), null, null));
        request.Headers.Add("X-Api-Key", key);
        request.Headers.Accept.ParseAdd("application/json");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }
        return request;
    }

    /// <summary>Sends; a non-success status becomes a <see cref="GatewayException"/> with the gateway's problem.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken timeout, CancellationToken caller)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, timeout);
        }
        catch (HttpRequestException ex)
        {
            throw new GatewayException(ApiProblem.Unreachable(ex.HttpRequestError.ToString(), Activity.Current?.TraceId.ToString()));
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            throw new GatewayException(new ApiProblem(504, "Gateway timeout",
                "The gateway did not answer in time. Try again, or ask something narrower.", Activity.Current?.TraceId.ToString(), null, null));
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            var retryAfter = response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests ? response.Headers.RetryAfter?.Delta : null;
            throw new GatewayException(ApiProblem.Parse(response.StatusCode, body, TraceId(response)), retryAfter);
        }
    }

    private static string? TraceId(HttpResponseMessage response) =>
        response.RequestMessage?.Headers.TryGetValues("traceparent", out var v) == true ? v.FirstOrDefault() : Activity.Current?.Id;

    private static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new GatewayException(
            new ApiProblem(502, "Bad gateway", "The gateway sent an empty event.", Activity.Current?.Id, null, null));
}
