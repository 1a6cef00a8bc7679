namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Step 9: the rows checked against the plan's result shape by the validation service. Problems are
/// stated in the answer and lower its confidence, never silently passed on. Rows from the result
/// cache keep the verdict they got when first checked.
/// </summary>
public sealed class CheckStage(ISqlValidator validator, ResultCache? resultCache) : IAskStage
{
    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        var gen = ask.RequireQuery();
        var result = ask.Result ?? throw new InvalidOperationException("no rows to check: the execute stage runs first");
        var shape = ask.Plan?.ResultShape ?? "generic";
        var cached = ask.Cached;
        var checkedBefore = cached is not null && cached.Shape == shape;
        var check = ask.Check = checkedBefore ? cached!.Check : await validator.ValidateResultsAsync(shape, result.Columns, result.Rows, ct);
        if (cached is null)
        {
            resultCache?.Set(ask.ClientId, gen.ValidationSql, result, shape, check);
        }
        if (!check.Valid)
        {
            ask.Notes.Add($"Result check ({shape}) found {check.Errors.Count} problem(s): {string.Join("; ", check.Errors.Take(5))}.");
        }
        return StageResult.Next(new StepNote(Stage.Results, check.Valid ? Verdict.Pass : Verdict.Warn,
            (check.Valid ? $"{check.RowsChecked} row(s) match {shape}" : $"{check.Errors.Count} problem(s) in {shape}: {string.Join("; ", check.Errors.Take(5))}")
            + (checkedBefore ? " (the validation service's verdict on these cached rows)" : "")));
    }
}
