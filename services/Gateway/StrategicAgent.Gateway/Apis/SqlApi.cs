using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StrategicAgent.Gateway.Auth;
using StrategicAgent.Gateway.Errors;
using StrategicAgent.Gateway.Extensions;
using StrategicAgent.Protos.Validation.V1;

namespace StrategicAgent.Gateway.Apis;

/// <summary>/api/v1/sql → ValidationService.</summary>
public static class SqlApi
{
    public static RouteGroupBuilder MapSqlApi(this RouteGroupBuilder api)
    {
        var sql = api.MapGroup("/sql").WithTags("SQL").WithMetadata(DownstreamService.Validation);
        sql.MapPost("/validate", Validate)
            .WithName("ValidateSql")
            .WithSummary("Validate a SQL query")
            .WithDescription("Runs syntax → static → cost → semantic validation (stopping at the first failing stage) " +
                             "for the key's tenant. The semantic stage runs only when a question is given.");
        return api;
    }

    public static async Task<Results<Ok<SqlValidationResult>, ValidationProblem>> Validate(
        SqlValidateRequest body,
        ClaimsPrincipal user,
        ValidationService.ValidationServiceClient client,
        IOptions<DownstreamOptions> downstream,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Sql))
        {
            return RequestErrors.Problem("sql", "sql is required: the SQL query to validate.");
        }

        var report = await client.ValidateAsync(new ValidateSqlRequest
        {
            Sql = body.Sql,
            Question = body.Question ?? "",
            ClientId = user.ClientId(),
            SkipSemantic = body.SkipSemantic ?? string.IsNullOrWhiteSpace(body.Question),
            Today = body.Today ?? "",
        }, deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.ValidationDeadline), cancellationToken: ct);

        return TypedResults.Ok(ToResult(report));
    }

    private static SqlValidationResult ToResult(ValidationReport r) => new(
        r.Valid,
        r.Stage,
        r.Errors.Select(ToFinding).ToList(),
        r.Warnings.Select(ToFinding).ToList(),
        r.Tables.ToList(),
        r.Columns.ToList(),
        r.Fingerprint,
        r.Normalized,
        r.Cost is { } c ? new SqlCost(CostLevelName(c.Level), c.MaxCost, c.MaxRows, c.Cached) : null,
        r.Timings.GroupBy(t => t.Stage).ToDictionary(g => g.Key, g => g.Sum(t => t.Ms)),
        r.Judge is { } j ? new SqlJudge(j.Available, j.Valid, j.Confidence, j.Justification) : null);

    private static string CostLevelName(CostLevel level) => level switch
    {
        CostLevel.Low => "low",
        CostLevel.Medium => "medium",
        CostLevel.High => "high",
        CostLevel.OverLimit => "over_limit",
        _ => "unknown",
    };

    private static SqlFinding ToFinding(Finding f) =>
        new(f.Code, f.Message, f.Position, f.Line, f.Column, f.Suggestions.ToList());
}

/// <param name="Today">The asker's date (yyyy-MM-dd) for relative periods in the question; default the service's.</param>
public sealed record SqlValidateRequest(string? Sql, string? Question, bool? SkipSemantic, string? Today = null);

/// <param name="Stage">syntax | static | cost | semantic — the failing stage; ok when valid.</param>
/// <param name="TimingsMs">Milliseconds per stage that ran.</param>
public sealed record SqlValidationResult(
    bool Valid,
    string Stage,
    IReadOnlyList<SqlFinding> Errors,
    IReadOnlyList<SqlFinding> Warnings,
    IReadOnlyList<string> Tables,
    IReadOnlyList<string> Columns,
    string Fingerprint,
    string Normalized,
    SqlCost? Cost,
    IReadOnlyDictionary<string, double> TimingsMs,
    SqlJudge? Judge);

/// <param name="Position">1-based character position in the SQL, 0 when none.</param>
public sealed record SqlFinding(string Code, string Message, int Position, int Line, int Column, IReadOnlyList<string> Suggestions);

/// <param name="Level">low (≤ 1% of the limits) | medium (≤ 10%) | high (within the limits) | over_limit — a band, never
/// the planner's figures (they would describe other tenants' data).</param>
/// <param name="Cached">The estimate was remembered from an earlier check of the same SQL.</param>
public sealed record SqlCost(string Level, double MaxCost, double MaxRows, bool Cached);

public sealed record SqlJudge(bool Available, bool Valid, double Confidence, string Justification);
