using System.Text.RegularExpressions;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Predictions;

/// <summary>Which prediction a question asks for (the offline planner's catalog of prediction intents).</summary>
public enum PredictionKind
{
    None,
    /// <summary>"When will epic PAY-12 finish?" → PredictTrajectory.</summary>
    EpicCompletion,
    /// <summary>"How many points is PAY-301?" → EstimateComplexity.</summary>
    StoryPoints,
    /// <summary>"Which open PRs in api-gateway are most likely to need rework?" → AssessReworkRisk.</summary>
    ReworkRisk,
    /// <summary>"How long will PAY-301 take?" (a story/task/bug) → PredictUnified.</summary>
    IssueOutlook,
}

public sealed record PredictionIntent(PredictionKind Kind, IReadOnlyList<string> Keys, string? Repository, int Limit, string? Reason = null)
{
    public static PredictionIntent Unknown(string reason) => new(PredictionKind.None, [], null, 0, reason);
}

/// <summary>
/// Recognises the catalogued prediction questions without a language model: the intent from its
/// wording, issue keys (PAY-12), pull-request keys (api-gateway#42) and the tenant's repository
/// names from the vocabulary.
/// </summary>
public static partial class PredictionIntentParser
{
    public const int MaxKeys = 50;

    public static PredictionIntent Parse(string question, TenantVocabulary vocabulary)
    {
        var text = question.Trim();
        var lower = text.ToLowerInvariant();
        var issueKeys = IssueKeyRegex().Matches(text.ToUpperInvariant()).Select(m => m.Value).Distinct().Take(MaxKeys).ToList();
        var prKeys = PullRequestKeyRegex().Matches(text).Select(m => m.Groups["repo"].Value.ToLowerInvariant() + "#" + m.Groups["num"].Value).Distinct().Take(MaxKeys).ToList();
        var repository = vocabulary.Repositories
            .Where(r => Regex.IsMatch(lower, $@"(?<![\w-]){Regex.Escape(r.ToLowerInvariant())}(?![\w-])"))
            .OrderByDescending(r => r.Length)
            .FirstOrDefault();

        if (ReworkRegex().IsMatch(lower))
        {
            if (prKeys.Count > 0)
            {
                return new PredictionIntent(PredictionKind.ReworkRisk, prKeys, null, prKeys.Count);
            }
            if (repository is not null)
            {
                var top = TopRegex().Match(lower);
                var limit = top.Success && int.TryParse(top.Groups["n"].Value, out var n) ? Math.Clamp(n, 1, MaxKeys) : 10;
                return new PredictionIntent(PredictionKind.ReworkRisk, [], repository, limit);
            }
            return PredictionIntent.Unknown("name a repository (e.g. 'open PRs in api-gateway') or pull requests as 'repository#number'");
        }
        if (issueKeys.Count == 0)
        {
            return PredictionIntent.Unknown("name the epic or issue by its key, e.g. PAY-12");
        }
        if (PointsRegex().IsMatch(lower))
        {
            return new PredictionIntent(PredictionKind.StoryPoints, issueKeys, null, issueKeys.Count);
        }
        if (EpicRegex().IsMatch(lower) || CompletionRegex().IsMatch(lower))
        {
            return new PredictionIntent(PredictionKind.EpicCompletion, issueKeys, null, issueKeys.Count);
        }
        if (OutlookRegex().IsMatch(lower))
        {
            return new PredictionIntent(PredictionKind.IssueOutlook, issueKeys, null, issueKeys.Count);
        }
        return PredictionIntent.Unknown("ask when an epic will finish, how many points an issue is, or which pull requests are likely to need rework");
    }

    [GeneratedRegex(@"\b[A-Z][A-Z0-9_]{0,19}-[1-9][0-9]{0,8}\b")]
    private static partial Regex IssueKeyRegex();

    [GeneratedRegex(@"(?<repo>[A-Za-z0-9][A-Za-z0-9._/-]{0,199})#(?<num>[1-9][0-9]{0,8})\b")]
    private static partial Regex PullRequestKeyRegex();

    [GeneratedRegex(@"\brework\b|\breview\s+cycles?\b|\bneed(?:s)?\s+(?:more\s+)?(?:work|changes|rework)\b|\brisk(?:y|iest)?\s+(?:prs?|pull\s+requests?)\b")]
    private static partial Regex ReworkRegex();

    [GeneratedRegex(@"\btop\s+(?<n>\d{1,2})\b|\b(?<n>\d{1,2})\s+(?:most|riskiest|prs?|pull)")]
    private static partial Regex TopRegex();

    [GeneratedRegex(@"\b(?:story\s+)?points?\b|\bcomplexity\b|\bhow\s+big\b|\bestimate\b|\beffort\b|\bsize\b")]
    private static partial Regex PointsRegex();

    [GeneratedRegex(@"\bepics?\b")]
    private static partial Regex EpicRegex();

    [GeneratedRegex(@"\b(?:finish|finished|complete|completed|completion|done|deliver(?:ed)?|ship(?:ped)?|land|end|close)\b")]
    private static partial Regex CompletionRegex();

    [GeneratedRegex(@"\bhow\s+long\b|\blead\s+time\b|\btake\b|\boutlook\b|\bpredict")]
    private static partial Regex OutlookRegex();
}
