using System.Text;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// The reply to a question the agent will not answer: why (the words it cannot apply, or the reason),
/// what it did understand, and up to three nearest questions it can answer, in the catalog's words.
/// </summary>
public static class RefusalText
{
    public const int MaxSuggestions = 3;

    /// <summary>Refusals that get suggestions: the question is in scope but not answerable as asked.</summary>
    public static bool Suggests(RefusalKind kind) =>
        kind is RefusalKind.UnknownWords or RefusalKind.OutOfScope or RefusalKind.Unsupported or RefusalKind.UnsupportedDimension or RefusalKind.UnknownEntity;

    public static string Compose(PlanOutcome outcome, IReadOnlyList<Suggestion> suggestions)
    {
        var sb = new StringBuilder();
        if (outcome.Refusal == RefusalKind.UnknownWords)
        {
            sb.Append("I can't answer this as asked, and I won't answer a different question: I don't know how to apply ")
              .AppendJoin(", ", outcome.Unknown.Select(w => $"'{w}'"))
              .Append(" to the data I have.");
        }
        else
        {
            sb.Append(outcome.Reason);
            if (outcome.Unknown.Count > 0)
            {
                sb.Append(" I don't know how to apply ").AppendJoin(", ", outcome.Unknown.Select(w => $"'{w}'")).Append('.');
            }
        }
        if (outcome.Understood.Count > 0)
        {
            sb.Append(" I understood: ").AppendJoin(", ", outcome.Understood).Append('.');
        }
        var offered = suggestions.Take(MaxSuggestions).ToList();
        if (offered.Count > 0)
        {
            sb.Append("\nQuestions I can answer that come close:");
            foreach (var s in offered)
            {
                sb.Append("\n- ").Append(s.Question);
            }
        }
        return sb.ToString();
    }
}
