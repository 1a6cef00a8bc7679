using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// A local HTTP server speaking the OpenAI chat-completions protocol (Kestrel on 127.0.0.1, free
/// port), with scripted replies: content, tool calls, malformed bodies, slow answers.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    /// <summary>A scripted reply: the raw HTTP body, or a delay before it.</summary>
    public sealed record Reply(string Body, TimeSpan Delay = default);

    private readonly WebApplication _app;
    private readonly Func<JsonObject, int, Reply> _script;
    private int _count;

    public List<JsonObject> Requests { get; } = [];

    /// <summary>Per request: the path and query it was sent to, and its credentials (Authorization or api-key header).</summary>
    public List<(string Target, string Authorization, string ApiKey)> Calls { get; } = [];

    private FakeOpenAiServer(WebApplication app, Func<JsonObject, int, Reply> script)
    {
        _app = app;
        _script = script;
    }

    /// <summary>The OpenAI-compatible base URL (…/v1).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The server root, as an Azure OpenAI resource endpoint.</summary>
    public string RootUrl { get; private set; } = "";

    public static async Task<FakeOpenAiServer> StartAsync(Func<JsonObject, int, Reply> script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeOpenAiServer(app, script);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        // Azure OpenAI's shape of the same protocol: the deployment in the path, the key in an api-key header.
        app.MapPost("/openai/deployments/{deployment}/chat/completions", server.HandleAsync);
        await app.StartAsync();
        server.RootUrl = app.Urls.First();
        server.BaseUrl = server.RootUrl + "/v1";
        return server;
    }

    private async Task HandleAsync(HttpContext http)
    {
        var request = (await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted))!.AsObject();
        int index;
        lock (Requests)
        {
            Requests.Add(request);
            Calls.Add((http.Request.Path + http.Request.QueryString, http.Request.Headers.Authorization.ToString(), http.Request.Headers["api-key"].ToString()));
            index = _count++;
        }
        var reply = _script(request, index);
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(reply.Body, http.RequestAborted);
    }

    public static string Model(JsonObject request) => request["model"]!.GetValue<string>();

    public static IEnumerable<JsonObject> Messages(JsonObject request) => request["messages"]!.AsArray().Select(m => m!.AsObject());

    public static bool HasToolResult(JsonObject request) => Messages(request).Any(m => m["role"]?.GetValue<string>() == "tool");

    public static Reply Content(string content, int promptTokens = 100, int completionTokens = 20) => new(JsonSerializer.Serialize(new
    {
        id = "chatcmpl-" + Guid.NewGuid().ToString("n"),
        @object = "chat.completion",
        created = 1_790_000_000,
        model = "fake",
        choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
        usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
    }));

    public static Reply ToolCall(string name, string argumentsJson, int promptTokens = 100, int completionTokens = 10) => new(JsonSerializer.Serialize(new
    {
        id = "chatcmpl-" + Guid.NewGuid().ToString("n"),
        @object = "chat.completion",
        created = 1_790_000_000,
        model = "fake",
        choices = new[]
        {
            new
            {
                index = 0,
                message = new
                {
                    role = "assistant",
                    content = (string?)null,
                    tool_calls = new[] { new { id = "call_1", type = "function", function = new { name, arguments = argumentsJson } } },
                },
                finish_reason = "tool_calls",
            },
        },
        usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
    }));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
