using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>The validation service could not be reached: unvalidated SQL never runs.</summary>
public sealed class ValidationUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The question→answer loop (DESIGN.md steps 1–10): understand → memory → generate → validate
/// (syntax, static, cost, semantic) → on failure, structured feedback into a bounded retry →
/// execute on the replica → validate the rows → answer with text, table, SQL and trace.
/// </summary>
public sealed partial class AskLoop(
    ISqlGenerator generator,
    ISqlValidator validator,
    IQueryExecutor executor,
    ILearningMemory memory,
    IVocabularySource vocabulary,
    IPredictionTool predictions,
    ConversationStore conversations,
    IOptions<AgentOptions> options,
    TimeProvider clock,
    ILogger<AskLoop> logger,
    ISqlJudge? judge = null,
    ResultCache? resultCache = null,
    IQuestionSuggester? suggester = null)
{
    private readonly IQuestionSuggester _suggester = suggester ?? new LexicalSuggester(SemanticModel.Default);

    private readonly AgentOptions _o = options.Value;

    public ISqlGenerator Generator => generator;

    public async Task<AgentAnswer> AskAsync(AskInput input, Func<TraceEntry, CancellationToken, ValueTask>? onStep, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(input.Question))
        {
            throw new ArgumentException("question is empty: ask something like \"lead time by team last quarter\".", nameof(input));
        }
        if (input.Question.Length > _o.MaxQuestionLength)
        {
            throw new ArgumentException($"question is {input.Question.Length} characters; the limit is {_o.MaxQuestionLength} (Agent:MaxQuestionLength).", nameof(input));
        }
        if (input.ClientId <= 0)
        {
            throw new ArgumentException("client_id must be a positive tenant id.", nameof(input));
        }
        var requested = input.ConversationId?.Trim();
        var named = !string.IsNullOrEmpty(requested);
        if (named && requested!.Length > _o.MaxConversationIdLength)
        {
            throw new ArgumentException($"conversation_id is {requested.Length} characters; the limit is {_o.MaxConversationIdLength} (Agent:MaxConversationIdLength).", nameof(input));
        }
        var conversationId = named ? requested! : Guid.NewGuid().ToString("n");
        var run = new Run(this, input, conversationId, named, onStep);

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(TimeSpan.FromSeconds(_o.AskTimeoutSeconds));
        try
        {
            return await RunAsync(run, budget.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await run.StepAsync(run.Attempt, "answer", "fail", 0, $"time budget of {_o.AskTimeoutSeconds} s (Agent:AskTimeoutSeconds) exhausted", CancellationToken.None);
            return run.Fallback($"I ran out of the time budget ({_o.AskTimeoutSeconds} s) before I had a validated answer.", null);
        }
    }

    private sealed class Run(AskLoop loop, AskInput input, string conversationId, bool named, Func<TraceEntry, CancellationToken, ValueTask>? onStep)
    {
        public readonly List<TraceEntry> Trace = [];
        public int Attempt;
        public string LastSql = "";
        public AskInput Input => input;
        public string ConversationId => conversationId;

        /// <summary>The caller named the conversation (so it may have been saved by an earlier agent process).</summary>
        public bool NamedConversation => named;

        public async ValueTask StepAsync(int attempt, string stage, string verdict, double ms, string detail, CancellationToken ct, long promptTokens = 0, long completionTokens = 0)
        {
            var e = new TraceEntry(attempt, stage, verdict, Math.Round(ms, 3), detail, promptTokens, completionTokens);
            Trace.Add(e);
            loop.LogStep(input.ClientId, conversationId, attempt, stage, verdict, ms);
            if (onStep is not null)
            {
                await onStep(e, ct);
            }
        }

        public AgentAnswer Refused(string text) =>
            new(AnswerStatus.Refused, text, "", [], [], Trace, conversationId, 0);

        public AgentAnswer Fallback(string what, AttemptFeedback? last)
        {
            var sb = new StringBuilder("I could not produce a validated answer, so I won't give a number. ").Append(what);
            if (last is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $" Last failure: {last.Stage} check, {last.Code}: {last.Message}");
                if (last.Position > 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" (at position {last.Position})");
                }
                sb.Append('.');
            }
            return new AgentAnswer(AnswerStatus.Failed, sb.ToString(), LastSql, [], [], Trace, conversationId, 0);
        }
    }

    private async Task<AgentAnswer> RunAsync(Run run, CancellationToken ct)
    {
        var input = run.Input;
        var sw = Stopwatch.StartNew();

        // 1. Understand.
        var vocab = await vocabulary.GetAsync(input.ClientId, ct);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var parsed = QuestionParser.Parse(input.Question, vocab, today);
        var previous = await conversations.GetAsync(input.ClientId, run.ConversationId, run.NamedConversation, ct);
        var outcome = Planner.Plan(parsed, previous, today);
        if (outcome.Refusal is not (RefusalKind.None or RefusalKind.OutOfScope) || outcome.Refusal == RefusalKind.OutOfScope && generator.RequiresPlan)
        {
            await run.StepAsync(0, "understand", "fail", Ms(sw),
                outcome.Refusal == RefusalKind.UnknownWords ? $"{outcome.Refusal}: {string.Join(", ", outcome.Unknown)}" : outcome.Refusal.ToString(), ct);
            return run.Refused(await RefusalAsync(outcome, input.Question, ct));
        }
        if (outcome.IsPrediction)
        {
            await run.StepAsync(0, "understand", "pass", Ms(sw), "prediction question", ct);
            sw.Restart();
            var p = await predictions.AnswerAsync(input.Question, input.ClientId, ct);
            await run.StepAsync(0, "predict", p.Answered ? "pass" : "skip", Ms(sw), p.Answered ? "prediction service" : "prediction service not connected", ct);
            return p.Answered
                ? new AgentAnswer(AnswerStatus.Answered, p.Text, "", p.Columns, p.Rows, run.Trace, run.ConversationId, p.Confidence)
                : run.Refused(p.Text);
        }
        var plan = outcome.Plan;
        if (plan is null && generator.RequiresPlan)
        {
            await run.StepAsync(0, "understand", "fail", Ms(sw), "out of scope: no catalogued metric matches", ct);
            return run.Refused(OutOfScopeText());
        }
        var reading = plan is null ? "" : Reading.Of(plan, today);
        await run.StepAsync(0, "understand", "pass", Ms(sw),
            plan is null ? "no catalogued metric matched; the language model will try" : (outcome.IsFollowUp ? "follow-up: " : "") + plan.Describe() + " | reading: " + reading, ct);

        // 2. Memory: similar past fixes for this kind of question.
        var intentText = IntentText(input.Question, plan);
        sw.Restart();
        IReadOnlyList<MemoryHint> hints = [];
        if (generator.IsDeterministic)
        {
            // The offline planner compiles from the catalog: examples and past fixes cannot change its SQL.
            await run.StepAsync(0, "memory", "skip", 0, "offline planner: compiled from the metric catalog, memory not needed", ct);
        }
        else
        {
            var found = _o.MemoryHints > 0 ? await Safely(() => memory.FindAsync(input.ClientId, intentText, null, _o.MemoryHints, ct), ct) : [];
            hints = found ?? [];
            await run.StepAsync(0, "memory", found is null ? "warn" : "info", Ms(sw),
                found is null ? "learning memory unavailable (primary unreachable); answering without it" : DescribeHints(hints), ct);
        }

        var feedback = new List<AttemptFeedback>();
        var failureIds = new List<long>();
        var syntaxLeft = _o.MaxSyntaxRetries;
        var semanticLeft = _o.MaxSemanticRetries;
        var notes = new List<string>();
        while (true)
        {
            run.Attempt++;
            var attempt = run.Attempt;

            // 3. Generate.
            sw.Restart();
            GeneratedQuery gen;
            try
            {
                gen = await generator.GenerateAsync(new GenerationRequest(input.Question, input.ClientId, plan, attempt, feedback, hints), ct);
            }
            catch (GenerationException ex)
            {
                await run.StepAsync(attempt, "generate", "fail", Ms(sw), $"{ex.Code}: {ex.Message}", ct, ex.PromptTokens, ex.CompletionTokens);
                var fb = new AttemptFeedback("generate", ex.Code, ex.Message, 0, [], "");
                if (!ex.Retryable || syntaxLeft-- <= 0)
                {
                    return run.Fallback($"The SQL generator ({generator.Name}) failed on attempt {attempt}.", fb);
                }
                feedback.Add(fb);
                continue;
            }
            run.LastSql = gen.Sql;
            await run.StepAsync(attempt, "generate", "pass", Ms(sw),
                gen.ToolCalls > 0 ? $"{gen.Source}, {gen.ToolCalls} tool call(s)" : gen.Source, ct, gen.PromptTokens, gen.CompletionTokens);

            // 4–6. Validate: syntax → static → cost (→ semantic in the validation service when no agent-side judge).
            sw.Restart();
            var report = await validator.ValidateAsync(gen.ValidationSql, input.Question, plan, input.ClientId, skipSemantic: judge is not null, ct);
            var validateMs = Ms(sw);
            await RecordValidationStepsAsync(run, attempt, report, validateMs, ct);
            if (!report.Valid)
            {
                var semantic = report.Stage == "semantic";
                var errors = report.Errors.Count > 0 ? report.Errors : [new ValidationFinding(report.Stage + "_failed", $"the {report.Stage} check failed", 0, 0, 0, [])];
                var fbs = errors.Take(3).Select(e => new AttemptFeedback(report.Stage, e.Code, e.Message, e.Position, e.Suggestions, gen.ValidationSql)).ToList();
                await RememberFailureAsync(failureIds, input, plan, intentText, gen, fbs[0], report.Fingerprint, attempt, ct);
                if (generator.IsDeterministic || (semantic ? semanticLeft-- : syntaxLeft--) <= 0)
                {
                    return run.Fallback($"The {report.Stage} check rejected the SQL on attempt {attempt}" +
                        (generator.IsDeterministic ? " (the offline planner is deterministic, so a retry would repeat it)." : $", and the retries for {report.Stage} failures are used up."), fbs[0]);
                }
                feedback.AddRange(fbs);
                hints = await MergeHintsAsync(input.ClientId, intentText, report.Fingerprint, hints, ct);
                continue;
            }

            // 6. Semantic judge (agent side, when configured), else the validation service's verdict.
            var verdict = report.Judge;
            if (judge is not null)
            {
                sw.Restart();
                verdict = await judge.JudgeAsync(input.Question, gen.ValidationSql, plan, ct);
                var pass = verdict.Available && verdict.Valid && verdict.Confidence > _o.SemanticPassConfidence;
                await run.StepAsync(attempt, "semantic", !verdict.Available ? "warn" : pass ? "pass" : "fail", Ms(sw),
                    !verdict.Available
                        ? "judge_unavailable: " + verdict.Justification
                        : string.Create(CultureInfo.InvariantCulture, $"valid={verdict.Valid} confidence={verdict.Confidence:0.00}: {verdict.Justification}"),
                    ct, verdict.PromptTokens, verdict.CompletionTokens);
            }
            if (verdict is { Available: true } && !(verdict.Valid && verdict.Confidence > _o.SemanticPassConfidence))
            {
                var code = verdict.Valid ? "low_confidence" : "judge_rejected";
                var fb = new AttemptFeedback("semantic", code,
                    string.Create(CultureInfo.InvariantCulture, $"the judge {(verdict.Valid ? "accepted the SQL only" : "rejected the SQL")} with confidence {verdict.Confidence:0.00} (needs valid and > {_o.SemanticPassConfidence:0.00}): {verdict.Justification}"),
                    0, [], gen.ValidationSql);
                await RememberFailureAsync(failureIds, input, plan, intentText, gen, fb, report.Fingerprint, attempt, ct);
                if (semanticLeft-- > 0 && !generator.IsDeterministic)
                {
                    feedback.Add(fb);
                    continue;
                }
                if (!verdict.Valid)
                {
                    return run.Fallback($"The semantic judge rejected the SQL on attempt {attempt}, and the semantic retries are used up.", fb);
                }
                notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"Low confidence: the semantic judge's confidence in this SQL was only {verdict.Confidence:0.00} (a pass needs more than {_o.SemanticPassConfidence:0.00}) after {attempt} attempt(s); check the SQL before relying on the numbers."));
            }
            else if (verdict is { Available: false })
            {
                notes.Add("The semantic judge was unavailable (judge_unavailable), so the SQL passed the syntax, static and cost checks only.");
            }

            // 8. Execute on the replica.
            sw.Restart();
            QueryResult result;
            var cached = resultCache?.Get(input.ClientId, gen.ValidationSql);
            try
            {
                result = cached?.Result ?? await executor.ExecuteAsync(input.ClientId, gen.Sql, gen.Parameters, ct);
            }
            catch (QueryExecutionException ex) when (ex.Code == "sql_error" && !generator.IsDeterministic && syntaxLeft > 0)
            {
                syntaxLeft--;
                await run.StepAsync(attempt, "execute", "fail", Ms(sw), ex.Message, ct);
                var fb = new AttemptFeedback("execute", ex.Code, ex.Message, 0, [], gen.ValidationSql);
                await RememberFailureAsync(failureIds, input, plan, intentText, gen, fb, report.Fingerprint, attempt, ct);
                feedback.Add(fb);
                continue;
            }
            catch (QueryExecutionException ex)
            {
                await run.StepAsync(attempt, "execute", "fail", Ms(sw), $"{ex.Code}: {ex.Message}", ct);
                return run.Fallback("The query could not run on the replica.", new AttemptFeedback("execute", ex.Code, ex.Message, 0, [], gen.ValidationSql));
            }
            await run.StepAsync(attempt, "execute", "pass", Ms(sw),
                $"{result.Rows.Count} row(s){(result.Truncated ? $", truncated at the row cap of {_o.RowCap}" : "")}"
                + (cached is { } c ? string.Create(CultureInfo.InvariantCulture, $", from the result cache ({c.Age.TotalSeconds:0.0} s old; Agent:ResultCacheSeconds={_o.ResultCacheSeconds})") : ""), ct);
            if (result.Truncated)
            {
                notes.Add($"Only the first {_o.RowCap} rows are shown (Agent:RowCap).");
            }

            // 9. Validate the rows against the intent's shape.
            sw.Restart();
            var shape = plan?.ResultShape ?? "generic";
            var checkedBefore = cached is not null && cached.Shape == shape;
            var check = checkedBefore ? cached!.Check : await validator.ValidateResultsAsync(shape, result.Columns, result.Rows, ct);
            if (cached is null)
            {
                resultCache?.Set(input.ClientId, gen.ValidationSql, result, shape, check);
            }
            await run.StepAsync(attempt, "results", check.Valid ? "pass" : "warn", Ms(sw),
                (check.Valid ? $"{check.RowsChecked} row(s) match {shape}" : $"{check.Errors.Count} problem(s) in {shape}: {string.Join("; ", check.Errors.Take(5))}")
                + (checkedBefore ? " (the validation service's verdict on these cached rows)" : ""), ct);
            if (!check.Valid)
            {
                notes.Add($"Result check ({shape}) found {check.Errors.Count} problem(s): {string.Join("; ", check.Errors.Take(5))}.");
            }

            // 10. Answer, and remember what worked.
            sw.Restart();
            var confidence = verdict is { Available: true } ? verdict.Confidence : generator.IsDeterministic ? 1.0 : 0.5;
            if (!check.Valid)
            {
                confidence = Math.Min(confidence, 0.5);
            }
            if (failureIds.Count > 0)
            {
                await Safely(async () => { await memory.RecordFixAsync(input.ClientId, failureIds, gen.ValidationSql, confidence, ct); return true; }, ct);
            }
            if (!generator.IsDeterministic || failureIds.Count > 0)
            {
                await Safely(async () => { await memory.RecordSuccessAsync(input.ClientId, intentText, gen.ValidationSql, report.Fingerprint, confidence, ct); return true; }, ct);
            }
            if (plan is not null)
            {
                conversations.Set(input.ClientId, run.ConversationId, plan);
            }
            var text = new StringBuilder(AnswerWriter.Write(plan, result.Columns, result.Rows, today));
            if (attempt > 1)
            {
                text.Append(CultureInfo.InvariantCulture, $" (Answered on attempt {attempt} after {attempt - 1} failed validation(s).)");
            }
            foreach (var n in notes)
            {
                text.Append(' ').Append(n);
            }
            await run.StepAsync(attempt, "answer", "pass", Ms(sw), string.Create(CultureInfo.InvariantCulture, $"confidence {confidence:0.00}"), ct);
            return new AgentAnswer(AnswerStatus.Answered, text.ToString(), gen.Sql, result.Columns, result.Rows, run.Trace, run.ConversationId, confidence) { Reading = reading };
        }
    }

    private static async Task RecordValidationStepsAsync(Run run, int attempt, ValidationOutcome report, double totalMs, CancellationToken ct)
    {
        var timings = report.Timings.Count > 0 ? report.Timings : [(report.Valid ? "validate" : report.Stage, totalMs)];
        foreach (var (stage, ms) in timings)
        {
            var failed = !report.Valid && stage == report.Stage;
            string detail;
            if (failed)
            {
                detail = string.Join("; ", report.Errors.Take(3).Select(e =>
                    $"{e.Code}: {e.Message}{(e.Position > 0 ? $" (position {e.Position})" : "")}{(e.Suggestions.Count > 0 ? $" — did you mean {string.Join(", ", e.Suggestions)}" : "")}"));
            }
            else if (stage == "cost" && report.TotalCost is { } c)
            {
                detail = string.Create(CultureInfo.InvariantCulture, $"estimated cost {c:0.##}{(report.CostCached ? " (remembered from an earlier EXPLAIN of the same SQL)" : "")}");
            }
            else if (stage == "semantic" && report.Judge is { } j)
            {
                detail = j.Available ? string.Create(CultureInfo.InvariantCulture, $"valid={j.Valid} confidence={j.Confidence:0.00}: {j.Justification}") : "judge_unavailable: " + j.Justification;
            }
            else
            {
                detail = report.Warnings.Count > 0 && stage == "static" ? "warnings: " + string.Join("; ", report.Warnings.Select(w => w.Code)) : "";
            }
            var verdict = failed ? "fail" : stage == "semantic" && report.Judge is { Available: false } ? "warn" : "pass";
            await run.StepAsync(attempt, stage, verdict, ms, detail, ct,
                stage == "semantic" ? report.Judge?.PromptTokens ?? 0 : 0, stage == "semantic" ? report.Judge?.CompletionTokens ?? 0 : 0);
        }
    }

    private async Task RememberFailureAsync(List<long> failureIds, AskInput input, QueryPlan? plan, string intentText, GeneratedQuery gen, AttemptFeedback fb, string fingerprint, int attempt, CancellationToken ct)
    {
        var context = JsonSerializer.Serialize(new
        {
            attempt,
            stage = fb.Stage,
            code = fb.Code,
            position = fb.Position,
            suggestions = fb.Suggestions,
            metric = plan?.Metric.Name,
            plan = plan?.Describe(),
            generator = gen.Source,
            question = input.Question,
        });
        var id = await Safely<long?>(async () => await memory.RecordFailureAsync(input.ClientId,
            new FailureRecord($"{fb.Stage}:{fb.Code}", intentText, gen.ValidationSql, fb.Message, fingerprint, context), ct), ct);
        if (id is { } stored)
        {
            failureIds.Add(stored);
        }
    }

    private async Task<IReadOnlyList<MemoryHint>> MergeHintsAsync(long clientId, string intent, string fingerprint, IReadOnlyList<MemoryHint> current, CancellationToken ct)
    {
        if (_o.MemoryHints == 0 || string.IsNullOrEmpty(fingerprint) || generator.IsDeterministic)
        {
            return current;
        }
        var more = await Safely(() => memory.FindAsync(clientId, intent, fingerprint, _o.MemoryHints, ct), ct) ?? [];
        return [.. more.Concat(current).DistinctBy(h => h.Id).Take(_o.MemoryHints * 2)];
    }

    /// <summary>
    /// Learning memory is an aid, not a dependency: when the primary is unreachable the ask goes on
    /// without it (logged, and visible in the trace's memory step) instead of failing.
    /// </summary>
    private async Task<T?> Safely<T>(Func<Task<T>> action, CancellationToken ct)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogMemoryUnavailable(ex);
            return default;
        }
    }

    /// <summary>The text memory is keyed on: the question, plus the planner's reading when there is one.</summary>
    private static string IntentText(string question, QueryPlan? plan) =>
        plan is null ? question.Trim() : $"{question.Trim()} [{plan.Metric.Name}]";

    private static string DescribeHints(IReadOnlyList<MemoryHint> hints) =>
        hints.Count == 0
            ? "no similar past fixes"
            : $"{hints.Count} similar past fix(es): " + string.Join("; ", hints.Select(h => $"#{h.Id} {h.Kind} {h.ErrorType}".TrimEnd()));

    /// <summary>A refusal's reply: why, what was understood, and up to three nearest answerable questions.</summary>
    private async Task<string> RefusalAsync(PlanOutcome outcome, string question, CancellationToken ct)
    {
        if (outcome.Refusal == RefusalKind.OutOfScope && outcome.Understood.Count == 0)
        {
            return OutOfScopeText();
        }
        var suggestions = RefusalText.Suggests(outcome.Refusal)
            ? await _suggester.SuggestAsync(question, RefusalText.MaxSuggestions, ct)
            : [];
        return RefusalText.Compose(outcome, suggestions);
    }

    public static string OutOfScopeText() =>
        "I can't map this question to a metric I know, and I won't guess a query. I can answer:\n- " + string.Join("\n- ", Catalog.CatalogText.Default);

    private static double Ms(Stopwatch sw) => sw.Elapsed.TotalMilliseconds;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Learning memory unavailable; continuing without it")]
    private partial void LogMemoryUnavailable(Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ask {ClientId}/{ConversationId} attempt {Attempt} {Stage} {Verdict} in {Ms} ms")]
    private partial void LogStep(long clientId, string conversationId, int attempt, string stage, string verdict, double ms);
}
