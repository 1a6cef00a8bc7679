using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The LLM side of the loop tests, scripted: each call gets the conversation so far and returns a
/// reply (or waits, or throws). Everything else — validation over gRPC, the replica, memory — is real.
/// </summary>
public sealed class ScriptedChatClient(Func<ScriptedChatClient.Call, CancellationToken, Task<string>> script) : IChatClient
{
    public sealed record Call(int Index, string System, string User);

    private int _calls;

    public List<Call> Calls { get; } = [];

    public static Kernel Kernel(ScriptedChatClient client)
    {
        var b = Microsoft.SemanticKernel.Kernel.CreateBuilder();
        b.Services.AddSingleton<IChatCompletionService>(client.AsChatCompletionService());
        return b.Build();
    }

    public static ScriptedChatClient Replies(params string[] replies) =>
        new((call, _) => Task.FromResult(replies[Math.Min(call.Index, replies.Length - 1)]));

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var call = new Call(Interlocked.Increment(ref _calls) - 1,
            string.Join("\n", list.Where(m => m.Role == ChatRole.System).Select(m => m.Text)),
            string.Join("\n", list.Where(m => m.Role == ChatRole.User).Select(m => m.Text)));
        lock (Calls)
        {
            Calls.Add(call);
        }
        var text = await script(call, cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = new UsageDetails { InputTokenCount = call.System.Length / 4 + call.User.Length / 4, OutputTokenCount = text.Length / 4 },
            ModelId = "scripted",
        };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The loop does not stream from the model.");

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", null, "scripted")
        : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
