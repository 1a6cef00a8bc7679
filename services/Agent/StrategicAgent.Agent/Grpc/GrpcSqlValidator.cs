using System.Text.Json;
using Grpc.Core;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Protos.Validation.V1;

namespace StrategicAgent.Agent.Grpc;

/// <summary>
/// The validation service over gRPC, mapped to the loop's own types. Sends the agent's "today" (its
/// clock) so the judge reads "last month" in the question as the planner did. The tenant is not a
/// request field: it travels in the caller's token, which this client forwards (ForwardCallerCredential).
/// </summary>
public sealed class GrpcSqlValidator(ValidationService.ValidationServiceClient client, TimeProvider time) : ISqlValidator
{
    public async Task<ValidationOutcome> ValidateAsync(string sql, string question, QueryPlan? plan, long clientId, bool skipSemantic, bool deferTieProbe, CancellationToken ct)
    {
        var request = new ValidateSqlRequest
        {
            Sql = sql,
            Question = question,
            SkipSemantic = skipSemantic,
            DeferTieProbe = deferTieProbe,
            Today = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (plan is not null)
        {
            request.Intent = ToIntent(plan);
        }
        ValidationReport r;
        try
        {
            r = await client.ValidateAsync(request, cancellationToken: ct);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            // The text itself is unacceptable (empty, too large, not valid UTF-8): a failed check
            // the generator can be told about, not an outage.
            return new ValidationOutcome(false, Stage.Syntax, [new ValidationFinding("invalid_input", ex.Status.Detail, 0, 0, 0, [])], [], "", [], null, null);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !ct.IsCancellationRequested)
        {
            throw new ValidationUnavailableException($"the validation service failed ({ex.StatusCode}: {ex.Status.Detail})", ex);
        }
        return new ValidationOutcome(
            r.Valid,
            string.IsNullOrEmpty(r.Stage) ? (r.Valid ? Stage.Validate : Stage.Static) : TraceNames.ValidationStage(r.Stage),
            r.Errors.Select(Map).ToList(),
            r.Warnings.Select(Map).ToList(),
            r.Fingerprint,
            r.Timings.Select(t => (TraceNames.ValidationStage(t.Stage), t.Ms)).ToList(),
            r.Judge is { } j && (j.Available || !string.IsNullOrEmpty(j.Justification))
                ? new JudgeResult(j.Available, j.Valid, j.Confidence, j.Justification, j.PromptTokens, j.CompletionTokens)
                : null,
            r.Cost is { } cost ? cost.Level.ToString() : null,
            r.Cost?.Cached ?? false,
            r.TieCheckRows);
    }

    public async Task<ResultCheck> ValidateResultsAsync(string shape, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        var request = new ValidateResultsRequest { Shape = shape };
        request.Columns.AddRange(columns);
        request.RowsJson.AddRange(rows.Select(RowJson.Serialize));
        ResultValidationReport r;
        try
        {
            r = await client.ValidateResultsAsync(request, cancellationToken: ct);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !ct.IsCancellationRequested)
        {
            throw new ValidationUnavailableException($"the validation service failed on the result check ({ex.StatusCode}: {ex.Status.Detail})", ex);
        }
        return new ResultCheck(r.Valid, r.RowsChecked, r.Errors.Select(e => $"row {e.Row} {e.Field}: {e.Message}").ToList());
    }

    public static Intent ToIntent(QueryPlan plan)
    {
        var intent = new Intent
        {
            Metric = plan.Metric.Name,
            Aggregate = plan.Metric.Aggregate,
            TimeWindow = plan.Window is { } w ? $"{w.From:yyyy-MM-dd}..{w.To:yyyy-MM-dd}" : "",
            TimeColumn = "",
            Ordering = plan.Order switch { SortOrder.Ascending => "asc", SortOrder.Descending => "desc", _ => "" },
            Limit = plan.Limit ?? 0,
            ResultShape = plan.ResultShape,
        };
        var model = SemanticModel.Default;
        if (plan.Dimension != Dimension.None)
        {
            intent.GroupBy.Add(model.Dimension(plan.Dimension).ColumnFor(plan.Metric.Entity));
        }
        intent.Filters.AddRange(plan.Filters.Select(f => f.Kind switch
        {
            FilterKind.Project => "project_key",
            FilterKind.IssueType => "issue_type",
            var k => k.ToString().ToLowerInvariant(),
        }));
        // A condition is named by the column it constrains ("review_cycles", "changed_files").
        var entity = model.Entity(plan.Metric.Entity);
        foreach (var c in plan.Conditions)
        {
            var sql = c.Predicate is { } p ? entity.Predicate(p)?.Sql ?? "" : entity.Attribute(c.Attribute!)?.Expression ?? "";
            if (model.ColumnsOf(plan.Metric.Entity, sql).FirstOrDefault() is { } column)
            {
                intent.Filters.Add(column[(column.IndexOf('.') + 1)..]);
            }
        }
        return intent;
    }

    private static ValidationFinding Map(Finding f) =>
        new(f.Code, f.Message, f.Position, f.Line, f.Column, f.Suggestions.ToList());
}

public static class RowJson
{
    public static string Serialize(object?[] row) => JsonSerializer.Serialize(row);
}
