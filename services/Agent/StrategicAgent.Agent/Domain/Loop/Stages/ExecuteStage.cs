using System.Globalization;

namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Step 8: run the validated SQL on the replica as the tenant (or take the rows of the same tenant
/// and SQL from the short result cache). A SQL error is a failure the model can fix; a timeout or an
/// unreachable replica is not retried. A top N whose tie probe the validation service left to the
/// result (<see cref="ValidationOutcome.TieCheckRows"/>) and that returned all n rows is validated
/// again with the probe before its rows go on: a tie at the cut fails the attempt as the semantic
/// check would have (fewer rows than n cannot cut through a tie, so they need no probe).
/// </summary>
public sealed class ExecuteStage(IQueryExecutor executor, ResultCache? resultCache, AgentOptions options, ISqlValidator? validator = null) : IAskStage
{
    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        var gen = ask.RequireQuery();
        var cached = ask.Cached = resultCache?.Get(ask.ClientId, gen.ValidationSql);
        QueryResult result;
        try
        {
            result = cached?.Result ?? await executor.ExecuteAsync(ask.ClientId, gen.Sql, gen.Parameters, ct);
        }
        catch (QueryExecutionException ex)
        {
            var sqlError = ex.Code == QueryExecutionException.SqlError;
            var failure = new StageFailure(RetryKind.Syntax, [new AttemptFeedback(Stage.Execute, ex.Code, ex.Message, 0, [], gen.ValidationSql)],
                "The query could not run on the replica")
            {
                Retryable = sqlError,
                Remember = sqlError,
                Fingerprint = ask.Report?.Fingerprint,
            };
            return StageResult.Fail(failure, new StepNote(Stage.Execute, Verdict.Fail, $"{ex.Code}: {ex.Message}"));
        }
        var executed = new StepNote(Stage.Execute, Verdict.Pass,
            $"{result.Rows.Count} row(s){(result.Truncated ? $", truncated at the row cap of {options.RowCap}" : "")}"
            + (cached is { } c ? string.Create(CultureInfo.InvariantCulture, $", from the result cache ({c.Age.TotalSeconds:0.0} s old; Agent:ResultCacheSeconds={options.ResultCacheSeconds})") : ""));
        // Cached rows passed this check when they were first run.
        if (cached is null && ask.Report is { TieCheckRows: > 0 and var n } && (result.Rows.Count >= n || result.Truncated))
        {
            var v = validator ?? throw new InvalidOperationException("The validation left a tie probe to the result, but the execute stage has no validator to run it.");
            var recheck = await v.ValidateAsync(gen.ValidationSql, ValidateStage.QuestionOf(ask), ask.Plan, ask.ClientId, skipSemantic: false, deferTieProbe: false, ct);
            if (!recheck.Valid)
            {
                ask.Report = recheck;
                return StageResult.Fail(ValidateStage.Failure(ask, recheck, gen), [executed, .. ValidateStage.Steps(recheck).Where(s => s.Verdict == Verdict.Fail)]);
            }
        }
        ask.Result = result;
        if (result.Truncated)
        {
            ask.Notes.Add($"Only the first {options.RowCap} rows are shown (Agent:RowCap).");
        }
        return StageResult.Next(executed);
    }
}
