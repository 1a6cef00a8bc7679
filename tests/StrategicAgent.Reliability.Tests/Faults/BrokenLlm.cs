using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StrategicAgent.Reliability.Tests.Faults;

/// <summary>
/// An OpenAI-compatible chat-completions endpoint (Kestrel on 127.0.0.1, free port) that the system
/// under test uses as its LLM, and that a test can break: <see cref="LlmMode.Hang"/> never answers,
/// <see cref="LlmMode.Garbage"/> answers 200 with a body that is not JSON. Healthy, it answers the
/// generator with one tenant-scoped SQL query and the judge (model <see cref="JudgeModel"/>) with a pass.
/// </summary>
public sealed class BrokenLlm : IAsyncDisposable
{
    public const string GeneratorModel = "fault-sql-model";
    public const string JudgeModel = "fault-judge-model";

    private readonly WebApplication _app;
    private int _requests;

    private BrokenLlm(WebApplication app) => _app = app;

    public volatile LlmMode Mode = LlmMode.Healthy;

    /// <summary>The OpenAI-compatible base URL (…/v1).</summary>
    public string BaseUrl { get; private set; } = "";

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<BrokenLlm> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var llm = new BrokenLlm(app);
        app.MapPost("/v1/chat/completions", llm.HandleAsync);
        await app.StartAsync();
        llm.BaseUrl = app.Urls.First() + "/v1";
        return llm;
    }

    private async Task HandleAsync(HttpContext http)
    {
        Interlocked.Increment(ref _requests);
        using var request = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        var model = request.RootElement.TryGetProperty("model", out var m) ? m.GetString() : "";
        switch (Mode)
        {
            case LlmMode.Hang:
                await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case LlmMode.Garbage:
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync("<html>502 upstream overloaded</html> {\"choices\": [", http.RequestAborted);
                return;
        }
        var content = model == JudgeModel
            ? """{"valid": true, "justification": "Counts the tenant's issues as asked.", "confidence": 0.93}"""
            : "```sql\nSELECT count(*) AS issues FROM issues WHERE client_id = " + TenantOf(request.RootElement) + "\n```";
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            id = "chatcmpl-fault",
            @object = "chat.completion",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model,
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 100, completion_tokens = 20, total_tokens = 120 },
        }), http.RequestAborted);
    }

    /// <summary>The tenant the agent's system prompt names ("client_id = N"); 1 when it names none.</summary>
    private static string TenantOf(JsonElement request)
    {
        var text = request.GetRawText();
        var at = text.IndexOf("client_id = ", StringComparison.Ordinal);
        if (at < 0)
        {
            return "1";
        }
        var digits = new string(text[(at + "client_id = ".Length)..].TakeWhile(char.IsAsciiDigit).ToArray());
        return digits.Length > 0 ? digits : "1";
    }

    public async ValueTask DisposeAsync()
    {
        Mode = LlmMode.Healthy;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public enum LlmMode
{
    Healthy,
    Hang,
    Garbage,
}
