namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>Step 3: compile the plan (offline) or generate SQL (LLM) with the feedback of failed attempts and the memory hints.</summary>
public sealed class GenerateStage(ISqlGenerator generator) : IAskStage
{
    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        GeneratedQuery gen;
        try
        {
            gen = await generator.GenerateAsync(new GenerationRequest(ask.Question, ask.ClientId, ask.Plan, ask.Attempt, ask.Feedback, ask.Hints), ct);
        }
        catch (GenerationException ex)
        {
            var failure = new StageFailure(RetryKind.Syntax, [new AttemptFeedback(Stage.Generate, ex.Code, ex.Message, 0, [], "")],
                $"The SQL generator ({generator.Name}) failed on attempt {ask.Attempt}")
            {
                Retryable = ex.Retryable,
                Remember = false, // no SQL to learn from
            };
            return StageResult.Fail(failure, new StepNote(Stage.Generate, Verdict.Fail, $"{ex.Code}: {ex.Message}", null, ex.PromptTokens, ex.CompletionTokens));
        }
        ask.Query = gen;
        ask.LastSql = gen.Sql;
        return StageResult.Next(new StepNote(Stage.Generate, Verdict.Pass,
            gen.ToolCalls > 0 ? $"{gen.Source}, {gen.ToolCalls} tool call(s)" : gen.Source, null, gen.PromptTokens, gen.CompletionTokens));
    }
}
