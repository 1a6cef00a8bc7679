using System.Text.RegularExpressions;
using StrategicAgent.Web.Gateway;

namespace StrategicAgent.Web.Domain;

/// <summary>
/// The questions a refusal suggests instead, shown as one-click chips, and the refusal's text without
/// them. The answer's <c>suggestions</c> field when the agent sends one. <b>Fallback</b> while the ask
/// JSON has no such field (docs/ui.md, "Endpoints other streams are adding"): the list the agent writes
/// at the end of a refusal under "Questions I can answer that come close:", one "- " line each (the
/// agent's <c>RefusalText</c>). A refusal worded otherwise gives no chips; nothing is made up here.
/// </summary>
public static partial class RefusalSuggestions
{
    public static (string Text, IReadOnlyList<string> Questions) Split(AskAnswer answer)
    {
        if (answer.Suggestions is { Count: > 0 } given)
        {
            return (answer.Answer, given);
        }
        if (answer.Status != "refused" || ListedAtTheEnd().Match(answer.Answer) is not { Success: true } m)
        {
            return (answer.Answer, []);
        }
        var questions = m.Groups["q"].Captures.Select(c => c.Value.Trim()).Where(q => q.Length > 0).ToList();
        return (answer.Answer[..m.Index].TrimEnd(), questions);
    }

    [GeneratedRegex(@"\n\s*Questions I can answer that come close:\s*(?:\n- (?<q>[^\n]+))+\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ListedAtTheEnd();
}
