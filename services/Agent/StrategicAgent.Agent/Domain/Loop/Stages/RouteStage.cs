namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Questions the models answer rather than SQL (predictions): the prediction tool answers them and
/// the ask ends here. Every other question goes on to SQL.
/// </summary>
public sealed class RouteStage(IPredictionTool predictions) : IAskStage
{
    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        if (ask.Outcome is not { IsPrediction: true })
        {
            return StageResult.Next();
        }
        var p = await predictions.AnswerAsync(ask.Question, ask.ClientId, ct);
        var step = new StepNote(Stage.Predict, p.Answered ? Verdict.Pass : Verdict.Skip, p.Answered ? "prediction service" : "prediction service not connected");
        return StageResult.Stop(p.Answered ? new Ending(AnswerStatus.Answered, p.Text, "", p.Columns, p.Rows, p.Confidence) : Ending.Refused(p.Text), step);
    }
}
