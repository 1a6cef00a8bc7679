using System.Globalization;
using Grpc.Core;
using StrategicAgent.Protos.Validation.V1;

namespace StrategicAgent.Gateway.Tests.Fakes;

/// <summary>Echoes what it received (client id, question, deadline) so tests can see what the gateway sent.</summary>
public sealed class FakeValidationService : ValidationService.ValidationServiceBase
{
    public override async Task<ValidationReport> Validate(ValidateSqlRequest request, ServerCallContext context)
    {
        FakeBehaviour.ThrowIfAsked(request.Sql);
        await FakeBehaviour.SleepIfAsked(request.Sql, context);
        var report = new ValidationReport
        {
            Valid = !request.Sql.Contains("bogus", StringComparison.Ordinal),
            Stage = request.Sql.Contains("bogus", StringComparison.Ordinal) ? "static" : "ok",
            Fingerprint = "client:" + request.ClientId.ToString(CultureInfo.InvariantCulture),
            Normalized = $"question={request.Question};skip_semantic={request.SkipSemantic}",
            Cost = new CostEstimate { Level = CostLevel.Low, MaxCost = 100000, MaxRows = 1000000 },
            Tables = { "issues" },
            Columns = { "issues.key" },
            Timings = { new StageTiming { Stage = "syntax", Ms = 0.5 }, new StageTiming { Stage = "static", Ms = 1.25 } },
            Warnings =
            {
                new Finding
                {
                    Code = "deadline_seconds",
                    Message = FakeBehaviour.DeadlineSeconds(context).ToString("0.000", CultureInfo.InvariantCulture),
                },
            },
        };
        if (!report.Valid)
        {
            report.Errors.Add(new Finding
            {
                Code = "unknown_table", Message = "Table \"bogus\" does not exist.", Position = 15, Line = 1, Column = 15,
                Suggestions = { "issues" },
            });
        }
        return report;
    }
}
