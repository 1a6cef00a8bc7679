using System.Globalization;
using System.Text;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Agent.Domain.Predictions;

namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Questions the models (or several metrics) answer rather than one plan's SQL, answered here and
/// the ask ends: the prediction service answers PR risk, estimates, epic dates and odds, alerts;
/// the DORA summary runs each DORA metric of the semantic layer through the same SQL stages as any
/// plan (compile, validate, execute, check); epics at risk read the open epics and their teams'
/// usual epic lead time the same way, then ask the service for their Monte Carlo forecasts. Every answer
/// opens with a reading line that says what was computed. Every other question goes on to SQL.
/// </summary>
/// <param name="sql">The traced stages a routed query runs through after it is compiled: validate, semantic, execute, check.</param>
public sealed class RouteStage(IPredictionTool predictions, IReadOnlyList<IAskStage> sql, int rowCap) : IAskStage
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// The open epics, their owning team (through the project) and the team's median lead time of
    /// completed epics; <c>{0}</c> takes the conditions on the open epics (team names, project keys).
    /// </summary>
    public const string OpenEpicsSql = """
        WITH epics AS (
            SELECT e.key, e.summary, p.key AS project_key, p.team_id, sm.status_to = 'Done' AS done, e.total_lead_time_seconds / 86400.0 AS lead_time_days
            FROM issues e
            JOIN issuetypes it ON it.id = e.issuetype_id
            JOIN statuses s ON s.id = e.status_id
            JOIN status_mappings sm ON sm.id = s.status_mapping_id
            JOIN projects p ON p.id = e.project_id
            WHERE e.client_id = $1 AND e.active AND it.original_name = 'Epic'
        ), usual AS (
            SELECT team_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_time_days) AS usual_days, count(*) AS completed
            FROM epics
            WHERE done AND lead_time_days IS NOT NULL
            GROUP BY team_id
        )
        SELECT o.key, o.summary, t.name AS team, round(u.usual_days::numeric, 1) AS usual_lead_time_days, coalesce(u.completed, 0) AS completed_epics,
               (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_time_days)::numeric, 1) FROM epics WHERE done AND lead_time_days IS NOT NULL) AS tenant_usual_days
        FROM epics o
        LEFT JOIN usual u ON u.team_id = o.team_id
        LEFT JOIN teams t ON t.id = o.team_id
        WHERE NOT o.done{0}
        ORDER BY o.key
        LIMIT $2
        """;

    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        if (ask.Route is { } route)
        {
            return route.Kind switch
            {
                PredictionKind.DoraSummary => await DoraSummaryAsync(ask, route, ct),
                PredictionKind.EpicsAtRisk => await EpicsAtRiskAsync(ask, route, ct),
                _ => Answer(await predictions.AnswerAsync(route, ask.ClientId, ask.Today, ct)),
            };
        }
        if (ask.Outcome is { IsPrediction: true })
        {
            return Answer(await predictions.AnswerAsync(ask.Question, ask.ClientId, ct));
        }
        return StageResult.Next();
    }

    private static StageResult Answer(PredictionAnswer p)
    {
        var step = new StepNote(Stage.Predict, p.Answered ? Verdict.Pass : Verdict.Skip, p.Answered ? "prediction service" : "not answered: " + FirstLine(p.Text));
        var text = p.Reading.Length > 0 ? p.Reading + "\n" + p.Text : p.Text;
        return StageResult.Stop(p.Answered ? new Ending(AnswerStatus.Answered, text, "", p.Columns, p.Rows, p.Confidence) { Reading = p.Reading } : Ending.Refused(p.Text), step);
    }

    private static string FirstLine(string s) => s.Split('\n')[0];

    /// <summary>The layer's five key DORA metrics (<see cref="MetricDef.DoraKey"/>), each compiled, validated and run like any plan.</summary>
    private async Task<StageResult> DoraSummaryAsync(AskContext ask, PredictionIntent route, CancellationToken ct)
    {
        var metrics = SemanticModel.Default.Metrics.Where(m => m.DoraKey).ToList();
        var window = route.Window ?? TimeWindow.LastDays(metrics.Max(m => m.DefaultWindowDays ?? 90), ask.Today);
        var lines = new List<string>();
        var rows = new List<object?[]>();
        var confidences = new List<double>();
        var sqls = new List<string>();
        foreach (var m in metrics)
        {
            var plan = new QueryPlan(m, Dimension.None, route.Filters, window, SortOrder.Default, null) { DefaultWindowApplied = route.Window is null };
            var compiled = SqlCompiler.Compile(plan, ask.ClientId, rowCap);
            var run = await RunSqlAsync(ask, plan, new GeneratedQuery(compiled.Sql, compiled.Parameters, compiled.RenderLiteral(), "offline planner"),
                $"{m.Title} {window.Label}", ct);
            if (run.Failure is { } f)
            {
                lines.Add($"- {m.Title}: not answered — the {f.First.Stage.Name()} check failed ({f.First.Code}: {f.First.Message}).");
                rows.Add([m.Name, m.Title, null, m.Unit, null]);
                continue;
            }
            sqls.Add(run.Query!.Sql);
            var result = run.Result!;
            var i = result.Columns.ToList().IndexOf(m.Name);
            var value = i >= 0 && result.Rows.Count > 0 ? AnswerWriter.ToDouble(result.Rows[0][i]) : null;
            var tier = m.Tier(value);
            var bands = m.Dora is { } d ? d.Describe(m.Unit) : "no tier bands are defined for it";
            var shown = value is { } v ? Math.Round(v, m.Digits).ToString("0.###", Inv) + (m.Unit == "%" ? "%" : " " + m.Unit) : "no data in the period";
            lines.Add($"- {m.Title}: {shown}{(tier is null ? "" : $" — {tier}")} ({(m.Dora is null ? bands : "tiers: " + bands)}).");
            rows.Add([m.Name, m.Title, value is { } x ? Math.Round(x, m.Digits) : null, m.Unit, tier]);
            confidences.Add(AnswerStage.Confidence(run.Verdict, run.Check, deterministic: true));
        }
        if (confidences.Count == 0)
        {
            return StageResult.Stop(new Ending(AnswerStatus.Failed,
                "I could not produce a validated answer, so I won't give a number. None of the DORA metrics passed its checks:\n" + string.Join("\n", lines), "", [], [], 0));
        }
        var scope = route.Filters.Count == 0 ? "" : "; " + string.Join("; ", route.Filters.Select(f => $"{f.Kind.ToString().ToLowerInvariant()} {string.Join(" and ", f.Values)}"));
        var reading = $"Computed: the DORA metrics of production deployments, {window.Label}{(route.Window is null ? ", the default period" : "")}{scope}, each with its performance tier.";
        var text = new StringBuilder(reading).Append('\n').Append(CultureInfo.InvariantCulture, $"DORA summary ({window.Label}{scope}):\n").AppendJoin('\n', lines);
        return StageResult.Stop(new Ending(AnswerStatus.Answered, text.ToString(), string.Join(";\n\n", sqls), ["metric", "title", "value", "unit", "tier"], rows, confidences.Min()) { Reading = reading },
            new StepNote(Stage.Answer, Verdict.Pass, $"DORA summary of {confidences.Count} of {metrics.Count} metrics"));
    }

    private async Task<StageResult> EpicsAtRiskAsync(AskContext ask, PredictionIntent route, CancellationToken ct)
    {
        // Names from the question are parameters, never spliced into the text.
        var parameters = new List<object> { ask.ClientId, rowCap };
        var conditions = new StringBuilder();
        foreach (var filter in route.Filters)
        {
            parameters.Add(filter.Values.ToArray());
            conditions.Append(CultureInfo.InvariantCulture, $" AND {(filter.Kind == FilterKind.Team ? "t.name" : "o.project_key")} = ANY(${parameters.Count})");
        }
        var compiled = new CompiledQuery(string.Format(Inv, OpenEpicsSql, conditions), parameters);
        var query = new GeneratedQuery(compiled.Sql, compiled.Parameters, compiled.RenderLiteral(), "open epics and their teams' usual epic lead time");
        var run = await RunSqlAsync(ask, null, query, "open epics with their team and the team's median lead time of completed epics", ct, fixedSql: true);
        if (run.Failure is { } f)
        {
            return StageResult.Stop(new Ending(AnswerStatus.Failed,
                $"I could not produce a validated answer, so I won't give a number. Reading the open epics failed the {f.First.Stage.Name()} check: {f.First.Code}: {f.First.Message}.", query.Sql, [], [], 0));
        }
        var result = run.Result!;
        var col = result.Columns.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i);
        var epics = result.Rows.Select(r => new OpenEpic((string)r[col["key"]]!, (string)r[col["summary"]]!, r[col["team"]] as string,
            AnswerWriter.ToDouble(r[col["usual_lead_time_days"]]), Convert.ToInt64(r[col["completed_epics"]], Inv))).ToList();
        var tenantUsual = result.Rows.Count > 0 ? AnswerWriter.ToDouble(result.Rows[0][col["tenant_usual_days"]]) : null;
        if (epics.Count == 0)
        {
            var none = $"Computed: open epics{(route.Filters.Count == 0 ? "" : " of " + string.Join(", ", route.Filters.SelectMany(f => f.Values)))} and their forecasts.";
            return StageResult.Stop(new Ending(AnswerStatus.Answered, none + "\nThere are no open epics there, so none is at risk.", query.Sql, [], [], run.Confidence) { Reading = none });
        }
        EpicForecastBatch forecasts;
        try
        {
            forecasts = await predictions.ForecastEpicsAsync(ask.ClientId, epics.Select(e => e.Key).ToList(), ct);
        }
        catch (PredictionUnavailableException ex)
        {
            return StageResult.Stop(Ending.Refused($"I found {epics.Count} open epic(s) but cannot say which are at risk: {ex.Message}. I won't guess without the forecasts."),
                new StepNote(Stage.Predict, Verdict.Fail, ex.Message));
        }
        var risks = EpicRiskAssessment.Assess(epics, forecasts.Forecasts, tenantUsual);
        var atRisk = risks.Where(r => r.Level == EpicRiskLevel.AtRisk).OrderByDescending(r => r.DaysLateAtP80).ToList();
        var watch = risks.Where(r => r.Level == EpicRiskLevel.Watch).OrderByDescending(r => (r.Forecast.P95 - r.UsualFinish).TotalDays).ToList();
        var notAssessed = epics.Count - risks.Count;

        var scope = route.Filters.Count == 0 ? "" : " (" + string.Join("; ", route.Filters.Select(f => $"{f.Kind.ToString().ToLowerInvariant()} {string.Join(" and ", f.Values)}")) + ")";
        var reading = string.Create(Inv, $"Computed: open epics{scope} whose epic forecast (ForecastEpics: Monte Carlo over the team's throughput blended with the trajectory model, {forecasts.Draws:N0} seeded draws) finishes later than their team's usual epic lead time; {EpicRiskAssessment.Definition}.");
        var text = new StringBuilder(reading).Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"{atRisk.Count} of {epics.Count} open epics{scope} are at risk of finishing late");
        var overdue = atRisk.Count(r => r.Overdue);
        text.Append(overdue > 0 ? string.Create(Inv, $" ({overdue} already overdue)") : "");
        text.Append(watch.Count > 0 ? string.Create(Inv, $", {watch.Count} more on watch.") : ".");
        foreach (var r in atRisk.Take(10))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n- {r.Epic.Key} ({r.Epic.Summary}{(r.Epic.Team is null ? "" : ", team " + r.Epic.Team)}): {r.Why}{(r.UsualIsTenantWide ? " (the tenant's usual lead time: the team has too few completed epics)" : "")}.");
        }
        if (atRisk.Count > 10)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n… and {atRisk.Count - 10} more in the table.");
        }
        if (notAssessed > 0)
        {
            var reasons = forecasts.NotForecast.Take(3).Select(n => n.Reason).ToList();
            text.Append(CultureInfo.InvariantCulture, $"\n{notAssessed} open epic(s) could not be assessed ({forecasts.NotForecast.Count} without a forecast, the rest with no completed epics to compare with)");
            text.Append(reasons.Count > 0 ? ": " + string.Join("; ", reasons) + (forecasts.NotForecast.Count > reasons.Count ? "; …" : "") + "." : ".");
        }
        if (result.Truncated || epics.Count >= rowCap)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nOnly the first {rowCap} open epics (by key) were assessed (Agent:RowCap).");
        }
        var rows = atRisk.Concat(watch).Select(r => new object?[]
        {
            r.Epic.Key, r.Epic.Summary, r.Epic.Team, r.Level == EpicRiskLevel.AtRisk ? "at risk" : "watch", r.Overdue,
            r.Forecast.P50.ToString("yyyy-MM-dd", Inv), r.Forecast.P80.ToString("yyyy-MM-dd", Inv), r.Forecast.P95.ToString("yyyy-MM-dd", Inv),
            r.UsualFinish.ToString("yyyy-MM-dd", Inv), Math.Round(r.UsualDays, 1), r.Forecast.Method.ToString(),
        }).ToList();
        return StageResult.Stop(new Ending(AnswerStatus.Answered, text.ToString(), query.Sql,
                ["epic", "summary", "team", "risk", "overdue", "p50", "p80", "p95", "usual_finish", "usual_lead_time_days", "method"],
                rows, run.Confidence) { Reading = reading },
            new StepNote(Stage.Predict, Verdict.Pass, $"{forecasts.Forecasts.Count} forecast(s), {forecasts.NotForecast.Count} not forecast: {atRisk.Count} at risk, {watch.Count} on watch"));
    }

    private sealed record SqlRun(GeneratedQuery? Query, QueryResult? Result, JudgeResult? Verdict, ResultCheck? Check, StageFailure? Failure)
    {
        public double Confidence => AnswerStage.Confidence(Verdict, Check, deterministic: true);
    }

    /// <summary>
    /// One query of a routed answer through the same stages as a plan's (one attempt: routed queries
    /// are compiled, so a retry would repeat them). Its steps join the ask's trace.
    /// </summary>
    private async Task<SqlRun> RunSqlAsync(AskContext ask, QueryPlan? plan, GeneratedQuery query, string question, CancellationToken ct, bool fixedSql = false)
    {
        var child = new AskContext(new AskInput(question, ask.ClientId, null), ask.ConversationId, false, ask.Trace)
        {
            FixedSql = fixedSql,
            Vocabulary = ask.Vocabulary,
            Today = ask.Today,
            Plan = plan,
        };
        child.BeginAttempt();
        child.Query = query;
        foreach (var stage in sql)
        {
            var r = await stage.RunAsync(child, ct);
            if (r.Flow == StageFlow.Fail && r.Failure!.NoteWhenExhausted is null)
            {
                return new SqlRun(query, null, child.Verdict, null, r.Failure);
            }
        }
        return new SqlRun(query, child.Result, child.Verdict, child.Check, null);
    }
}
