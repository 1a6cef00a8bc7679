using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// The LLM path for prediction questions the offline intents do not cover: the chat model gets
/// the <see cref="PredictionPlugin"/> functions and must answer from what they return. An answer
/// not backed by a function call is discarded (no prediction is ever made up).
/// </summary>
public sealed class PredictionLlm(Kernel kernel)
{
    private const string System =
        "You answer questions about predictions for an engineering organisation. Use the functions to get every number: " +
        "epic completion dates, story points, rework risk, issue outlooks. Quote the predicted values, their intervals or " +
        "probabilities, the confidence and the model version exactly as the functions return them. If the functions cannot " +
        "answer, say so; never estimate yourself.";

    public async Task<(string Text, double Confidence)?> AnswerAsync(string question, PredictionPlugin plugin, CancellationToken ct)
    {
        var k = kernel.Clone();
        k.Plugins.AddFromObject(plugin, "predictions");
        var chat = k.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory(System);
        history.AddUserMessage(question);
        var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(), Temperature = 0 };
        var reply = await chat.GetChatMessageContentAsync(history, settings, k, ct);
        return plugin.Calls > 0 && !string.IsNullOrWhiteSpace(reply.Content) ? (reply.Content!, plugin.LastConfidence) : null;
    }
}
