using Grpc.Core;
using StrategicAgent.ServiceDefaults.Auth;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Validation.Domain;
using ValidationReport = StrategicAgent.Protos.Validation.V1.ValidationReport;
using Proto = StrategicAgent.Protos.Validation.V1;

namespace StrategicAgent.Validation.Grpc;

/// <summary>
/// The gRPC face of the validator: maps messages, calls the domain, translates failures
/// (bad input → InvalidArgument, replica down → Unavailable).
/// </summary>
public sealed class ValidationGrpcService(SqlValidator validator, ResultShapeValidator results) : ValidationService.ValidationServiceBase
{
    public override Task<ValidationReport> ValidateSyntax(ValidateSqlRequest request, ServerCallContext context) =>
        RunAsync(request, ValidationMode.Syntax, context);

    public override Task<ValidationReport> ValidateStatic(ValidateSqlRequest request, ServerCallContext context) =>
        RunAsync(request, ValidationMode.Static, context);

    public override Task<ValidationReport> ValidateCost(ValidateSqlRequest request, ServerCallContext context) =>
        RunAsync(request, ValidationMode.Cost, context);

    public override Task<ValidationReport> ValidateSemantics(ValidateSqlRequest request, ServerCallContext context) =>
        RunAsync(request, ValidationMode.Semantic, context);

    public override Task<ValidationReport> Validate(ValidateSqlRequest request, ServerCallContext context) =>
        RunAsync(request, ValidationMode.All, context);

    public override Task<ResultValidationReport> ValidateResults(ValidateResultsRequest request, ServerCallContext context)
    {
        try
        {
            var outcome = results.Validate(request.Shape, request.Columns, request.RowsJson);
            var reply = new ResultValidationReport { Valid = outcome.Valid, RowsChecked = outcome.RowsChecked };
            reply.Errors.AddRange(outcome.Errors.Select(e => new Proto.RowError { Row = e.Row, Field = e.Field, Message = e.Message }));
            return Task.FromResult(reply);
        }
        catch (InvalidSqlInputException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }

    private async Task<ValidationReport> RunAsync(ValidateSqlRequest request, ValidationMode mode, ServerCallContext context)
    {
        try
        {
            var report = await validator.ValidateAsync(ToDomain(request, context.GetCaller().ClientId), mode, context.CancellationToken);
            return ToProto(report);
        }
        catch (InvalidSqlInputException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (DependencyUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
    }

    internal static SqlValidationRequest ToDomain(ValidateSqlRequest r, long clientId) => new(
        r.Sql,
        r.Question,
        r.Intent is null ? null : new QueryIntent
        {
            Metric = r.Intent.Metric,
            Aggregate = r.Intent.Aggregate,
            GroupBy = r.Intent.GroupBy,
            Filters = r.Intent.Filters,
            TimeWindow = r.Intent.TimeWindow,
            TimeColumn = r.Intent.TimeColumn,
            Ordering = r.Intent.Ordering,
            Limit = r.Intent.Limit,
            ResultShape = r.Intent.ResultShape,
        },
        clientId,
        r.SkipSemantic)
    {
        DeferTieProbe = r.DeferTieProbe,
        Today = r.Today.Length == 0 ? null
            : DateOnly.TryParseExact(r.Today, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d) ? d
            : throw new InvalidSqlInputException($"today must be a date as yyyy-MM-dd (the asker's day, for relative periods in the question), not '{r.Today}'."),
    };

    internal static ValidationReport ToProto(Domain.ValidationReport r)
    {
        var reply = new ValidationReport
        {
            Valid = r.Valid,
            Stage = r.Stage,
            Fingerprint = r.Fingerprint,
            Normalized = r.Normalized,
            TieCheckRows = r.TieCheckRows ?? 0,
        };
        reply.Errors.AddRange(r.Errors.Select(ToProto));
        reply.Warnings.AddRange(r.Warnings.Select(ToProto));
        reply.Tables.AddRange(r.Tables);
        reply.Columns.AddRange(r.Columns);
        reply.Timings.AddRange(r.Timings.Select(t => new Proto.StageTiming { Stage = t.Stage, Ms = t.Ms }));
        if (r.Cost is { } cost)
        {
            reply.Cost = new Proto.CostEstimate { Level = ToProto(cost.Level), MaxCost = cost.MaxCost, MaxRows = cost.MaxRows, Cached = cost.Cached };
        }
        if (r.Judge is { } judge)
        {
            reply.Judge = new Proto.JudgeVerdict
            {
                Valid = judge.Valid,
                Justification = judge.Justification,
                Confidence = judge.Confidence,
                Available = judge.Available,
                PromptTokens = judge.PromptTokens,
                CompletionTokens = judge.CompletionTokens,
            };
        }
        return reply;
    }

    private static Proto.CostLevel ToProto(Domain.CostLevel level) => level switch
    {
        Domain.CostLevel.Low => Proto.CostLevel.Low,
        Domain.CostLevel.Medium => Proto.CostLevel.Medium,
        Domain.CostLevel.High => Proto.CostLevel.High,
        Domain.CostLevel.OverLimit => Proto.CostLevel.OverLimit,
        _ => Proto.CostLevel.Unspecified,
    };

    private static Proto.Finding ToProto(Domain.Finding f)
    {
        var finding = new Proto.Finding { Code = f.Code, Message = f.Message, Position = f.Position, Line = f.Line, Column = f.Column };
        finding.Suggestions.AddRange(f.Suggestions);
        return finding;
    }
}
