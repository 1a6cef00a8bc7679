using System.Diagnostics;
using Microsoft.Extensions.Options;
using StrategicAgent.Validation.Ai;
using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Validation.Domain;

public enum ValidationMode
{
    Syntax,
    Static,
    Cost,
    Semantic,
    All,
}

/// <summary>
/// The validation stages in order — syntax, static, cost, semantic — stopping at the first failing
/// stage. Syntax and static analysis are pure and synchronous (<see cref="CheckSqlAsync"/> uses the
/// current catalog); cost and semantic stages call the replica and the judge.
/// </summary>
public sealed partial class SqlValidator(
    ICatalogProvider catalogs,
    ICostEstimator costEstimator,
    ISemanticJudge judge,
    IOptions<ValidationOptions> options,
    ITieProbe? tieProbe = null)
{
    private static readonly SemaphoreSlim LargeParses = new(Math.Max(2, Environment.ProcessorCount));

    private readonly ValidationOptions _options = options.Value;

    public ValidationOptions Options => _options;

    public async Task<ValidationReport> ValidateAsync(SqlValidationRequest request, ValidationMode mode, CancellationToken ct)
    {
        SqlInputGuard.Check(request.Sql, _options.MaxSqlBytes);
        var catalog = mode == ValidationMode.Syntax ? null : await catalogs.GetAsync(ct);
        // The normalized text costs another parse: only the full pipeline (which plans the query
        // on the replica anyway) fills it; the fast syntax/static calls leave it empty.
        var normalize = mode is not (ValidationMode.Syntax or ValidationMode.Static) && _options.IncludeNormalized;
        // The shape (grouping, filters…) is only read by the semantic judge.
        var shape = mode == ValidationMode.Semantic || (mode == ValidationMode.All && !request.SkipSemantic);
        // One libpg_query parse of the SQL serves every stage after syntax (the cost key's plan-safe text, the tie stage's top N).
        var (report, parsed) = await CheckSqlAsync(request.Sql, catalog, new CheckOptions(mode != ValidationMode.Syntax, normalize, shape, KeepParse: mode is not (ValidationMode.Syntax or ValidationMode.Static)), ct);
        using var tree = parsed;
        if (mode is ValidationMode.Syntax or ValidationMode.Static || report.Errors.Count > 0 && mode != ValidationMode.Semantic)
        {
            return report;
        }
        // Only SQL the static stage passed may run on the replica (the tie probe).
        var staticClean = report.Errors.Count == 0 && report.Stage != Stages.Syntax;
        if (mode == ValidationMode.Semantic)
        {
            if (report.Stage == Stages.Syntax)
            {
                return report;
            }
            // The semantic call judges meaning only: static findings belong to ValidateStatic.
            report.Errors.Clear();
            report.Warnings.Clear();
            report.Valid = true;
            report.Stage = Stages.Ok;
        }

        if (mode is ValidationMode.Cost or ValidationMode.All)
        {
            await CostStageAsync(request, report, tree!, ct);
            if (mode == ValidationMode.Cost || !report.Valid)
            {
                return report;
            }
        }

        if (mode is ValidationMode.Semantic or ValidationMode.All)
        {
            await SemanticStageAsync(request, report, explicitCall: mode == ValidationMode.Semantic, ct);
            if (report.Valid && staticClean && report.Judge is { Available: true })
            {
                await TieStageAsync(request, report, tree!, costChecked: mode == ValidationMode.All, ct);
            }
        }
        return report;
    }

    /// <summary>
    /// Ties at a top-N boundary (part of the semantic stage: the answer must be the rows the question picks). A top-level
    /// <c>ORDER BY … LIMIT n</c> whose n-th and (n+1)-th rows tie on the first ordering key keeps an arbitrary n of the tied rows —
    /// a wrong answer with a green trace. The probe (<see cref="TieProbeSql"/>) counts the rows <c>FETCH FIRST n ROWS WITH TIES</c>
    /// keeps; more than n fails the stage with <c>tie_at_limit</c>: the SQL must keep the ties (WITH TIES) or break them by what
    /// the question says ("ties broken by …", "then by …"). A probe that cannot run leaves the warning <c>tie_unchecked</c>.
    /// SQL with parameters cannot be probed (the caller sends no values: the agent's compiled SQL): a top N of it (a cut of at most
    /// <see cref="Judging.CoverageCheck.MaxCutRows"/> rows, not a display cap) must keep its ties structurally, else
    /// <c>tie_not_kept</c>. With <see cref="SqlValidationRequest.DeferTieProbe"/> the probe is left to the caller's result
    /// (<see cref="ValidationReport.TieCheckRows"/>): only a result of all n rows can cut through a tie.
    /// </summary>
    private async Task TieStageAsync(SqlValidationRequest request, ValidationReport report, ParsedSql parsed, bool costChecked, CancellationToken ct)
    {
        if (report.Shape is not { Limit: { } n, WithTies: false, OrderKeys.Count: > 0 } || n > _options.RowCap
            || TieWords().IsMatch(request.Question ?? "") || SqlTopN.Find(parsed) is not { WithTies: false } top || top.Count != n)
        {
            return;
        }
        if (top.HasParameters)
        {
            if (n <= Judging.CoverageCheck.MaxCutRows)
            {
                Fail(report, Stages.Semantic, new Finding(Codes.TieNotKept,
                    $"The top {n} by {top.Keys[0]} may cut through a tie, and a query with parameters cannot be run to count the tied rows. " +
                    $"Use FETCH FIRST {n} ROWS WITH TIES to show every tied row (or order by what the question asks to break the tie)."));
            }
            return;
        }
        if (tieProbe is null)
        {
            return;
        }
        if (request.DeferTieProbe)
        {
            // The caller runs the SQL: WITH TIES keeps more than n rows only when LIMIT n returns all n, so the probe is
            // needed only for a full result, which the caller sees and then validates again without deferring.
            report.TieCheckRows = n;
            return;
        }
        var probe = TieProbeSql.Create(top);
        if (!costChecked)
        {
            // ValidateSemantics does not run the cost stage: the probe runs only what it would have let through.
            var cost = await costEstimator.EstimateAsync(request.Sql, PlanSafeSql.Create(parsed), report.ParameterCount, request.ClientId, ct);
            if (cost.Error is not null || CostLevels.Of(cost.TotalCost, cost.PlanRows, _options.Cost) == CostLevel.OverLimit)
            {
                return;
            }
        }
        var start = Stopwatch.GetTimestamp();
        var count = await tieProbe.CountAsync(probe.Sql, request.ClientId, ct);
        // Part of the semantic stage's time (one step in a trace, not two).
        if (report.Timings.FindLastIndex(t => t.Stage == Stages.Semantic) is var at and >= 0)
        {
            report.Timings[at] = report.Timings[at] with { Ms = report.Timings[at].Ms + Elapsed(start) };
        }
        if (count is null)
        {
            report.Warnings.Add(new Finding(Codes.TieUnchecked, $"Whether rows {n} and {n + 1} tie on {probe.FirstKey} could not be checked; the top {n} may hide tied rows."));
        }
        else if (count > n)
        {
            Fail(report, Stages.Semantic, new Finding(Codes.TieAtLimit,
                $"The top {n} by {probe.FirstKey} cuts through a tie: {count} rows share the first {n} places, and LIMIT {n} keeps an arbitrary {n} of them. " +
                $"Use FETCH FIRST {n} ROWS WITH TIES to show every tied row (or order by what the question asks to break the tie)."));
        }
    }

    /// <summary>The question itself says how ties are broken.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?:ties?|tied|tie-?break(?:er|s)?|then by|alphabetical(?:ly)?)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex TieWords();

    /// <summary>Syntax (+ static when a catalog is given): the synchronous fast path.</summary>
    /// <param name="KeepParse">Hand the parse to the caller (who disposes it) for the stages after static.</param>
    private readonly record struct CheckOptions(bool RunStatic, bool Normalize, bool CollectShape, bool KeepParse = false);

    public ValidationReport CheckSql(string sql, SchemaCatalog? catalog, bool runStatic = true, bool normalize = false, bool collectShape = false)
    {
        SqlInputGuard.Check(sql, _options.MaxSqlBytes);
        var check = new CheckOptions(runStatic, normalize, collectShape);
        return (sql.Length <= _options.InlineParseMaxChars
            ? CheckSqlCore(sql, catalog, check)
            : RunOnLargeStack(() => CheckSqlCore(sql, catalog, check)).GetAwaiter().GetResult()).Report;
    }

    private Task<(ValidationReport Report, ParsedSql? Parsed)> CheckSqlAsync(string sql, SchemaCatalog? catalog, CheckOptions check, CancellationToken ct) =>
        sql.Length <= _options.InlineParseMaxChars
            ? Task.FromResult(CheckSqlCore(sql, catalog, check))
            : RunOnLargeStack(() => CheckSqlCore(sql, catalog, check), ct);

    /// <summary>Syntax and static checks; the parse is disposed here unless <see cref="CheckOptions.KeepParse"/> hands it to the caller.</summary>
    private (ValidationReport Report, ParsedSql? Parsed) CheckSqlCore(string sql, SchemaCatalog? catalog, CheckOptions check)
    {
        var start = Stopwatch.GetTimestamp();
        var parsed = PgParser.Parse(sql);
        try
        {
            var report = CheckParsed(sql, parsed, start, catalog, check);
            return (report, check.KeepParse ? parsed : null);
        }
        finally
        {
            if (!check.KeepParse)
            {
                parsed.Dispose();
            }
        }
    }

    private ValidationReport CheckParsed(string sql, ParsedSql parsed, long start, SchemaCatalog? catalog, CheckOptions check)
    {
        var report = new ValidationReport();
        if (parsed.Error is { } error)
        {
            report.Errors.Add(new Finding(error.Code, error.Message, error.Position, error.Line, error.Column));
            report.Stage = Stages.Syntax;
            report.Timings.Add(new StageTiming(Stages.Syntax, Elapsed(start)));
            return report;
        }
        var root = parsed.Tree!.RootElement;
        if (!root.TryGetProperty("stmts", out var stmts) || stmts.GetArrayLength() == 0)
        {
            report.Errors.Add(new Finding(Codes.SyntaxError, "The text contains no SQL statement (only comments or whitespace); send one SELECT statement."));
            report.Stage = Stages.Syntax;
            report.Timings.Add(new StageTiming(Stages.Syntax, Elapsed(start)));
            return report;
        }
        report.Fingerprint = PgParser.Fingerprint(sql) ?? "";
        if (check.Normalize)
        {
            report.Normalized = PgParser.Normalize(sql) ?? "";
        }
        report.Timings.Add(new StageTiming(Stages.Syntax, Elapsed(start)));

        if (!check.RunStatic || catalog is null)
        {
            report.Valid = true;
            return report;
        }
        start = Stopwatch.GetTimestamp();
        var analysis = SqlAnalyzer.Analyze(root, parsed.Source, catalog,
            new StaticAnalysisOptions { RowCap = _options.RowCap, RequireLimit = _options.RequireLimit, CollectShape = check.CollectShape });
        report.Errors.AddRange(analysis.Errors);
        report.Warnings.AddRange(analysis.Warnings);
        report.Tables.AddRange(analysis.Tables);
        report.Columns.AddRange(analysis.Columns);
        report.Shape = check.CollectShape ? analysis.Shape : null;
        report.ParameterCount = analysis.ParameterCount;
        report.Timings.Add(new StageTiming(Stages.Static, Elapsed(start)));
        report.Valid = report.Errors.Count == 0;
        report.Stage = report.Valid ? Stages.Ok : Stages.Static;
        return report;
    }

    private async Task CostStageAsync(SqlValidationRequest request, ValidationReport report, ParsedSql parsed, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var outcome = await costEstimator.EstimateAsync(request.Sql, PlanSafeSql.Create(parsed), report.ParameterCount, request.ClientId, ct);
        var limits = _options.Cost;
        var level = CostLevels.Of(outcome.TotalCost, outcome.PlanRows, limits);
        report.Cost = new CostEstimate(level, limits.MaxTotalCost, limits.MaxPlanRows, outcome.Cached);
        report.Timings.Add(new StageTiming(Stages.Cost, Elapsed(start)));
        if (outcome.Error is { } planError)
        {
            Fail(report, Stages.Cost, planError);
            return;
        }
        if (level == CostLevel.OverLimit)
        {
            Fail(report, Stages.Cost, new Finding(Codes.TooExpensive,
                $"The plan is too expensive: its estimated cost or row count is above the limit (cost {limits.MaxTotalCost:0.##}, " +
                $"rows {limits.MaxPlanRows:0.##}). " +
                "Filter on client_id and a time window, join on keys instead of cross joins, aggregate, or add a LIMIT."));
        }
    }

    private async Task SemanticStageAsync(SqlValidationRequest request, ValidationReport report, bool explicitCall, CancellationToken ct)
    {
        var intent = request.Intent ?? new QueryIntent();
        if (request.SkipSemantic && !explicitCall)
        {
            return;
        }
        if (string.IsNullOrWhiteSpace(request.Question) && intent.IsEmpty)
        {
            if (explicitCall)
            {
                throw new InvalidSqlInputException("The semantic check needs a question or an intent to judge the SQL against.");
            }
            report.Warnings.Add(new Finding(Codes.SemanticSkipped, "No question or intent was given, so the semantic judge did not run."));
            return;
        }
        var start = Stopwatch.GetTimestamp();
        var verdict = await judge.JudgeAsync(new JudgeRequest(request.Question, intent, request.Sql, report.Shape) { ClientId = request.ClientId, Today = request.Today }, ct);
        report.Judge = verdict;
        report.Timings.Add(new StageTiming(Stages.Semantic, Elapsed(start)));
        if (!verdict.Available)
        {
            Fail(report, Stages.Semantic, new Finding(Codes.JudgeUnavailable,
                $"The semantic judge gave no usable verdict ({verdict.Justification}); the SQL was not judged."));
        }
        else if (!verdict.Valid || verdict.Confidence <= _options.JudgeMinConfidence)
        {
            var why = verdict.Valid
                ? $"the judge's confidence {verdict.Confidence:0.00} is not above {_options.JudgeMinConfidence:0.00}"
                : "the judge found that the SQL does not answer the question";
            Fail(report, Stages.Semantic, new Finding(Codes.SemanticMismatch, $"Semantic check failed: {why}. {verdict.Justification}"));
        }
    }

    private static void Fail(ValidationReport report, string stage, Finding finding)
    {
        report.Errors.Add(finding);
        report.Valid = false;
        report.Stage = stage;
    }

    private static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;

    /// <summary>
    /// Runs a parse on a fresh thread with a stack large enough for the deepest tree a text of the
    /// allowed size can produce (libpg_query 15-4.0's stack-depth check does not protect foreign threads).
    /// </summary>
    private async Task<T> RunOnLargeStack<T>(Func<T> work, CancellationToken ct = default)
    {
        await LargeParses.WaitAsync(ct);
        try
        {
            var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            var stack = Math.Max(64 * 1024 * 1024, _options.MaxSqlBytes * 256);
            var thread = new Thread(() =>
            {
                try
                {
                    tcs.SetResult(work());
                }
                catch (Exception e)
                {
                    tcs.SetException(e);
                }
            }, stack)
            {
                IsBackground = true,
                Name = "sql-parse-large",
            };
            thread.Start();
            return await tcs.Task;
        }
        finally
        {
            LargeParses.Release();
        }
    }
}
