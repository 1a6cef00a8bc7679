using System.Text.RegularExpressions;
using StrategicAgent.Web.Gateway;

namespace StrategicAgent.Web.Domain;

/// <summary>
/// The DORA performance tier the agent gave an answer: its <c>dora_tier</c> field when it sends one.
/// <b>Fallback</b> while the ask JSON has no such field (docs/ui.md, "Endpoints other streams are
/// adding"): the tier the answer's text states ("DORA performance tier: elite.", the agent's
/// <c>AnswerWriter</c>). Never computed here from the value: the thresholds are the agent's
/// (docs/agent.md); an answer that states no tier shows none.
/// </summary>
public static partial class DoraTier
{
    public static string? Of(AskAnswer answer) =>
        !string.IsNullOrEmpty(answer.DoraTier) ? answer.DoraTier
        : Stated().Match(answer.Answer) is { Success: true } m ? m.Groups["tier"].Value.ToLowerInvariant()
        : null;

    [GeneratedRegex(@"DORA performance tier:\s*(?<tier>elite|high|medium|low)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Stated();
}
