using System.Globalization;

namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Step 8: run the validated SQL on the replica as the tenant (or take the rows of the same tenant
/// and SQL from the short result cache). A SQL error is a failure the model can fix; a timeout or an
/// unreachable replica is not retried.
/// </summary>
public sealed class ExecuteStage(IQueryExecutor executor, ResultCache? resultCache, AgentOptions options) : IAskStage
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
        ask.Result = result;
        if (result.Truncated)
        {
            ask.Notes.Add($"Only the first {options.RowCap} rows are shown (Agent:RowCap).");
        }
        return StageResult.Next(new StepNote(Stage.Execute, Verdict.Pass,
            $"{result.Rows.Count} row(s){(result.Truncated ? $", truncated at the row cap of {options.RowCap}" : "")}"
            + (cached is { } c ? string.Create(CultureInfo.InvariantCulture, $", from the result cache ({c.Age.TotalSeconds:0.0} s old; Agent:ResultCacheSeconds={options.ResultCacheSeconds})") : "")));
    }
}
