using System.Globalization;

namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Steps 4–6: one call to the validation service — syntax → static → cost (→ semantic, unless the
/// agent judges itself) — whose per-stage timings become trace steps.
/// </summary>
public sealed class ValidateStage(ISqlValidator validator, bool agentJudges) : IAskStage
{
    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        var gen = ask.RequireQuery();
        // The tie probe of a top N waits for the rows (ExecuteStage): only a result of all n rows can cut through a tie.
        var report = ask.Report = await validator.ValidateAsync(gen.ValidationSql, QuestionOf(ask), ask.Plan, ask.ClientId, skipSemantic: agentJudges || ask.FixedSql, deferTieProbe: true, ct);
        var steps = Steps(report);
        return report.Valid ? StageResult.Next([.. steps]) : StageResult.Fail(Failure(ask, report, gen), [.. steps]);
    }

    /// <summary>
    /// What the judge reads: the question; a follow-up ("and for last quarter?") says only what changed, so it is judged on the
    /// whole question it now stands for.
    /// </summary>
    public static string QuestionOf(AskContext ask) =>
        ask.Outcome is { IsFollowUp: true } && ask.Plan is { } plan ? FollowUpQuestion(plan) : ask.Question;

    /// <summary>A rejected SQL as a failed attempt: its first findings are the next attempt's feedback.</summary>
    public static StageFailure Failure(AskContext ask, ValidationOutcome report, GeneratedQuery gen)
    {
        var errors = report.Errors.Count > 0
            ? report.Errors
            : [new ValidationFinding(report.Stage.Name() + "_failed", $"the {report.Stage.Name()} check failed", 0, 0, 0, [])];
        var feedback = errors.Take(3).Select(e => new AttemptFeedback(report.Stage, e.Code, e.Message, e.Position, e.Suggestions, gen.ValidationSql)).ToList();
        return new StageFailure(report.Stage == Stage.Semantic ? RetryKind.Semantic : RetryKind.Syntax, feedback,
            $"The {report.Stage.Name()} check rejected the SQL on attempt {ask.Attempt}")
        {
            Fingerprint = report.Fingerprint,
            RecallFixes = true,
        };
    }

    /// <summary>A follow-up's plan as the question it stands for: "Average lead time by team, team Platform, last quarter".</summary>
    public static string FollowUpQuestion(Planning.QueryPlan plan)
    {
        var model = Semantic.SemanticModel.Default;
        var entity = model.Entity(plan.Metric.Entity);
        var parts = new List<string> { plan.Metric.Title + (plan.Dimension == Semantic.Dimension.None ? "" : " by " + model.Dimension(plan.Dimension).LabelFor(plan.Metric.Entity)) };
        if (plan.Window is { } w)
        {
            parts.Add(w.Label);
        }
        parts.AddRange(plan.Conditions.Select(c => c.Describe(entity)));
        parts.AddRange(plan.Filters.Select(f => "only " + f.Kind switch
        {
            Semantic.FilterKind.Team => "team " + string.Join(" and ", f.Values),
            Semantic.FilterKind.Project => "project " + string.Join(" and ", f.Values),
            Semantic.FilterKind.Repository => "repository " + string.Join(" and ", f.Values),
            Semantic.FilterKind.Priority => "priority " + string.Join(" or ", f.Values),
            Semantic.FilterKind.IssueType => "issue type " + string.Join(" and ", f.Values),
            _ => string.Join(" and ", f.Values),
        }));
        if (plan.Limit is { } n)
        {
            parts.Add($"top {n}");
        }
        return string.Join(", ", parts);
    }

    /// <summary>One step per stage the validation service ran, with its own timing and what it found.</summary>
    public static IEnumerable<StepNote> Steps(ValidationOutcome report)
    {
        if (report.Timings.Count == 0)
        {
            yield return Step(report, report.Stage, null);
            yield break;
        }
        foreach (var (stage, ms) in report.Timings)
        {
            yield return Step(report, stage, ms);
        }
    }

    private static StepNote Step(ValidationOutcome report, Stage stage, double? ms)
    {
        var failed = !report.Valid && stage == report.Stage;
        string detail;
        if (failed)
        {
            detail = string.Join("; ", report.Errors.Take(3).Select(e =>
                $"{e.Code}: {e.Message}{(e.Position > 0 ? $" (position {e.Position})" : "")}{(e.Suggestions.Count > 0 ? $" — did you mean {string.Join(", ", e.Suggestions)}" : "")}"));
        }
        else if (stage == Stage.Cost && report.CostLevel is { } level)
        {
            detail = $"estimated cost level {level}{(report.CostCached ? " (remembered from an earlier EXPLAIN of the same SQL)" : "")}";
        }
        else if (stage == Stage.Semantic && report.Judge is { } j)
        {
            detail = j.Available ? string.Create(CultureInfo.InvariantCulture, $"valid={j.Valid} confidence={j.Confidence:0.00}: {j.Justification}") : "judge_unavailable: " + j.Justification;
        }
        else
        {
            detail = report.Warnings.Count > 0 && stage == Stage.Static ? "warnings: " + string.Join("; ", report.Warnings.Select(w => w.Code)) : "";
        }
        var verdict = failed ? Verdict.Fail : stage == Stage.Semantic && report.Judge is { Available: false } ? Verdict.Warn : Verdict.Pass;
        var semantic = stage == Stage.Semantic;
        return new StepNote(stage, verdict, detail, ms, semantic ? report.Judge?.PromptTokens ?? 0 : 0, semantic ? report.Judge?.CompletionTokens ?? 0 : 0);
    }
}
