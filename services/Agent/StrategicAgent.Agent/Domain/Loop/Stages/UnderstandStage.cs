using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Agent.Domain.Predictions;

namespace StrategicAgent.Agent.Domain.Loop.Stages;

/// <summary>
/// Step 1: the offline parser reads the question against the semantic layer and the tenant's names;
/// a follow-up refines the conversation's previous plan. Unsafe or unanswerable questions end here.
/// After the safety checks and before the plan, questions the models answer (a PR's rework risk,
/// an estimate for a described issue, epic odds, epics at risk, open alerts, the DORA summary) are
/// routed (<see cref="PredictionIntentParser.Route"/>): the route stage answers them.
/// </summary>
public sealed class UnderstandStage(IVocabularySource vocabulary, ConversationStore conversations, TimeProvider clock, bool requiresPlan, IQuestionSuggester? suggester = null) : IAskStage
{
    private readonly IQuestionSuggester _suggester = suggester ?? new LexicalSuggester(SemanticModel.Default);

    public async Task<StageResult> RunAsync(AskContext ask, CancellationToken ct)
    {
        ask.Vocabulary = await vocabulary.GetAsync(ask.ClientId, ct);
        ask.Today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var parsed = QuestionParser.Parse(ask.Question, ask.Vocabulary, ask.Today);
        if (parsed.Refusal is not (RefusalKind.WriteRequest or RefusalKind.OtherTenant or RefusalKind.PromptInjection)
            && PredictionIntentParser.Route(ask.Question, ask.Vocabulary, ask.Today) is { } route)
        {
            ask.Route = route;
            return StageResult.Next(new StepNote(Stage.Understand, Verdict.Pass, "routed: " + Describe(route)));
        }
        var previous = await conversations.GetAsync(ask.ClientId, ask.ConversationId, ask.NamedConversation, ct);
        var outcome = ask.Outcome = Planner.Plan(parsed, previous, ask.Today);
        if (outcome.Refusal is not (RefusalKind.None or RefusalKind.OutOfScope))
        {
            // Words it cannot apply, or a question it cannot answer as asked: no answer, but what it understood and what it can answer.
            return StageResult.Stop(Ending.Refused(await RefusalAsync(outcome, ask.Question, ct)),
                new StepNote(Stage.Understand, Verdict.Fail,
                    outcome.Refusal == RefusalKind.UnknownWords ? $"{outcome.Refusal}: {string.Join(", ", outcome.Unknown)}" : outcome.Refusal.ToString()));
        }
        if (outcome.IsPrediction)
        {
            return StageResult.Next(new StepNote(Stage.Understand, Verdict.Pass, "prediction question"));
        }
        var plan = ask.Plan = outcome.Plan;
        if (plan is null && requiresPlan)
        {
            return StageResult.Stop(Ending.Refused(outcome.Understood.Count > 0 || outcome.Unknown.Count > 0 ? await RefusalAsync(outcome, ask.Question, ct) : AskLoop.OutOfScopeText()),
                new StepNote(Stage.Understand, Verdict.Fail, "out of scope: no catalogued metric matches"));
        }
        ask.Reading = plan is null ? "" : Reading.Of(plan, ask.Today);
        return StageResult.Next(new StepNote(Stage.Understand, Verdict.Pass,
            plan is null ? "no catalogued metric matched; the language model will try" : (outcome.IsFollowUp ? "follow-up: " : "") + plan.Describe() + " | reading: " + ask.Reading));
    }

    /// <summary>A refusal's reply: why, what was understood, and up to three nearest answerable questions.</summary>
    private async Task<string> RefusalAsync(PlanOutcome outcome, string question, CancellationToken ct)
    {
        IReadOnlyList<Suggestion> suggestions = RefusalText.Suggests(outcome.Refusal)
            ? await _suggester.SuggestAsync(question, RefusalText.MaxSuggestions, ct)
            : [];
        // A question the words leave open between readings offers each reading first, phrased so that it is answered.
        suggestions = [.. outcome.Readings.Select(r => new Suggestion(r, "", 1)), .. suggestions.Where(s => !outcome.Readings.Contains(s.Question))];
        return RefusalText.Compose(outcome, suggestions);
    }

    private static string Describe(PredictionIntent r) => r.Kind switch
    {
        PredictionKind.ReworkRisk => "rework risk of " + string.Join(", ", r.Keys),
        PredictionKind.NewIssueEstimate => $"story points for a new {r.IssueType.ToLowerInvariant()} \"{r.Text}\"",
        PredictionKind.EpicOdds => $"chance that {string.Join(", ", r.Keys)} is done by {r.By:yyyy-MM-dd}",
        PredictionKind.EpicsAtRisk => "open epics at risk of finishing late",
        PredictionKind.OpenAlerts => "open anomaly alerts" + (r.Severity is null ? "" : $" ({r.Severity})"),
        PredictionKind.DoraSummary => "DORA summary" + (r.Window is null ? "" : ", " + r.Window.Label),
        var k => k.ToString(),
    };
}
