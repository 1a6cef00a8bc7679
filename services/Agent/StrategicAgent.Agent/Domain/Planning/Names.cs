using System.Text;
using System.Text.RegularExpressions;

namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>
/// The tenant's own names in a question — repositories, project keys, teams, people, the
/// organisation itself — read before the lexicon: each found name becomes a filter value (bound as a
/// parameter later) and is blanked, with the word that introduced it ("team", "project", "repo",
/// "assigned to"), so no other reading takes it.
/// </summary>
internal static partial class Names
{
    private static readonly string[] RepoWords = ["repo", "repos", "repository", "repositories", "the", "service", "codebase", "of"];
    private static readonly string[] TeamWords = ["team", "teams", "the", "squad", "team's", "by", "of"];
    private static readonly string[] ProjectWords = ["project", "projects", "the", "project's"];
    private static readonly string[] PersonWords = ["assigned to", "authored by", "opened by", "created by", "owned by", "handled by", "worked on by", "raised by", "by", "from", "for", "of"];
    private static readonly HashSet<string> NotTeamNames = ["with", "has", "had", "have", "is", "was", "that", "which", "by", "in", "for", "of", "and", "or", "the", "a", "an", "on", "over", "per", "lead", "velocity", "throughput"];

    public static void Extract(string original, StringBuilder work, TenantVocabulary v, List<EntityFilter> filters, List<string> unknown, List<(int At, string Text)> understood)
    {
        Organisation(work, v, understood);
        Repositories(work, v, filters, understood);
        Projects(original, work, v, filters, unknown, understood);
        Teams(original, work, v, filters, unknown, understood);
        Users(work, v, filters, unknown, understood);
    }

    /// <summary>
    /// Whole-word occurrences of a name, ended by <paramref name="end"/> (default: no word character or
    /// hyphen follows). Most names are absent from any one question, so a plain substring test comes first:
    /// building a regex per name (hundreds of users) would cost more than the rest of the reading.
    /// </summary>
    private static List<Match> Occurrences(string text, string name, string end = @"(?![\w-])") =>
        text.Contains(name, StringComparison.OrdinalIgnoreCase)
            ? Regex.Matches(text, @"(?<![\w-])" + Regex.Escape(name) + end, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant).ToList()
            : [];

    private static void Add(List<EntityFilter> filters, FilterKind kind, string value)
    {
        var i = filters.FindIndex(f => f.Kind == kind);
        if (i < 0)
        {
            filters.Add(new EntityFilter(kind, [value]));
        }
        else if (!filters[i].Values.Contains(value, StringComparer.Ordinal))
        {
            filters[i] = filters[i] with { Values = [.. filters[i].Values, value] };
        }
    }

    private static void Blank(StringBuilder sb, int index, int length)
    {
        for (var i = index; i < index + length && i < sb.Length; i++)
        {
            sb[i] = ' ';
        }
    }

    /// <summary>Blanks "team"/"project"/… directly before or after a matched name.</summary>
    private static void BlankNeighbourWord(StringBuilder work, int index, int length, string[] words)
    {
        var s = work.ToString();
        foreach (var w in words)
        {
            var before = Regex.Match(s[..index], @"\b" + Regex.Escape(w) + @"\s+$");
            if (before.Success)
            {
                Blank(work, before.Index, before.Length);
                s = work.ToString();
            }
            var after = Regex.Match(s[(index + length)..], @"^\s+" + Regex.Escape(w) + @"\b");
            if (after.Success)
            {
                Blank(work, index + length + after.Index, after.Length);
                s = work.ToString();
            }
        }
    }

    private static bool NextTo(string lowerWork, int index, int length, string word)
    {
        var before = lowerWork[..index].TrimEnd();
        var after = lowerWork[(index + length)..].TrimStart();
        return before.EndsWith(word, StringComparison.Ordinal) || before.EndsWith(word + "s", StringComparison.Ordinal)
            || after.StartsWith(word, StringComparison.Ordinal);
    }

    private static void Organisation(StringBuilder work, TenantVocabulary v, List<(int At, string Text)> understood)
    {
        foreach (var name in v.Organisation.Where(n => n.Length > 1).OrderByDescending(n => n.Length))
        {
            foreach (var m in Occurrences(work.ToString(), name, @"(?:'s)?(?![\w-])"))
            {
                Blank(work, m.Index, m.Length);
                understood.Add((m.Index, "your organisation"));
            }
        }
        foreach (Match m in OwnOrganisationRegex().Matches(work.ToString()))
        {
            Blank(work, m.Index, m.Length);
        }
    }

    private static void Repositories(StringBuilder work, TenantVocabulary v, List<EntityFilter> filters, List<(int At, string Text)> understood)
    {
        foreach (var repo in v.Repositories.OrderByDescending(r => r.Length))
        {
            foreach (var m in Occurrences(work.ToString(), repo))
            {
                Add(filters, FilterKind.Repository, repo);
                Blank(work, m.Index, m.Length);
                BlankNeighbourWord(work, m.Index, m.Length, RepoWords);
                understood.Add((m.Index, "repository " + repo));
            }
        }
    }

    private static void Projects(string original, StringBuilder work, TenantVocabulary v, List<EntityFilter> filters, List<string> unknown, List<(int At, string Text)> understood)
    {
        foreach (var (key, name) in v.Projects)
        {
            // A key counts when written in capitals (PAY) or right after "project"; never as part of an issue key (PAY-12).
            foreach (var m in Occurrences(original, key, end: @"(?![\w]|-\d)"))
            {
                var s = work.ToString();
                if (s.Substring(m.Index, m.Length).Trim().Length == 0)
                {
                    continue;
                }
                var upper = original.Substring(m.Index, m.Length) == key.ToUpperInvariant();
                if (upper || NextTo(s, m.Index, m.Length, "project"))
                {
                    Add(filters, FilterKind.Project, key);
                    Blank(work, m.Index, m.Length);
                    BlankNeighbourWord(work, m.Index, m.Length, ProjectWords);
                    understood.Add((m.Index, "project " + key));
                }
            }
            if (!string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var m in Occurrences(work.ToString(), name))
                {
                    if (NextTo(work.ToString(), m.Index, m.Length, "project"))
                    {
                        Add(filters, FilterKind.Project, key);
                        Blank(work, m.Index, m.Length);
                        BlankNeighbourWord(work, m.Index, m.Length, ProjectWords);
                        understood.Add((m.Index, "project " + key));
                    }
                }
            }
        }
        var unknownMatch = UnknownProjectRegex().Match(original);
        if (unknownMatch.Success && work.ToString().Substring(unknownMatch.Groups["k"].Index, unknownMatch.Groups["k"].Length).Trim().Length > 0)
        {
            var k = unknownMatch.Groups["k"].Value;
            if (!v.Projects.Any(p => string.Equals(p.Key, k, StringComparison.OrdinalIgnoreCase)))
            {
                unknown.Add($"there is no project with key '{k}' (projects: {string.Join(", ", v.Projects.Select(p => p.Key))})");
            }
        }
    }

    private static void Teams(string original, StringBuilder work, TenantVocabulary v, List<EntityFilter> filters, List<string> unknown, List<(int At, string Text)> understood)
    {
        foreach (var team in v.Teams.OrderByDescending(t => t.Length))
        {
            foreach (var m in Occurrences(work.ToString(), team, @"(?:'s)?(?![\w-])"))
            {
                var s = work.ToString();
                // Team names are often common words ("Data", "Mobile"): lower-case ones count only next to "team", or first in the question.
                var capitalised = char.IsUpper(original[m.Index]);
                if (capitalised || NextTo(s, m.Index, m.Length, "team") || NextTo(s, m.Index, m.Length, "squad")
                    || Words.LeadsQuestion(original[..m.Index].ToLowerInvariant(), original[(m.Index + m.Length)..].ToLowerInvariant(), v.Teams))
                {
                    Add(filters, FilterKind.Team, team);
                    Blank(work, m.Index, m.Length);
                    BlankNeighbourWord(work, m.Index, m.Length, TeamWords);
                    understood.Add((m.Index, "team " + team));
                }
            }
        }
        var s2 = work.ToString();
        foreach (Match m in UnknownTeamRegex().Matches(original))
        {
            var g = m.Groups["t"];
            if (s2.Substring(g.Index, g.Length).Trim().Length == 0 || NotTeamNames.Contains(g.Value.ToLowerInvariant())
                || SemanticModel.Default.Lexicon.IsStopWord(g.Value.ToLowerInvariant())
                || SemanticModel.Default.Lexicon.ScanNormalized(g.Value.ToLowerInvariant(), new DateOnly(2000, 1, 1)).Count > 0)
            {
                continue;
            }
            if (!v.Teams.Any(t => string.Equals(t, g.Value, StringComparison.OrdinalIgnoreCase)))
            {
                unknown.Add($"there is no team called '{g.Value}' (teams: {string.Join(", ", v.Teams)})");
            }
        }
    }

    private static void Users(StringBuilder work, TenantVocabulary v, List<EntityFilter> filters, List<string> unknown, List<(int At, string Text)> understood)
    {
        var text = work.ToString();
        // The person the layer knows is an issue's assignee or a PR's author: who reported an issue, or reviewed, approved
        // or merged a PR, is another person — never answered with the assignee's or author's rows.
        var pullRequests = PullRequestWordRegex().IsMatch(text);
        foreach (var user in v.Users.Where(u => u.Contains(' ', StringComparison.Ordinal)).OrderByDescending(u => u.Length))
        {
            var found = Occurrences(text, user, @"(?:'s)?(?![\w-])");
            foreach (var m in found)
            {
                if (OtherRoleRegex().Match(text[..m.Index]) is { Success: true } role
                    && (role.Groups["pr"].Success || !pullRequests))
                {
                    unknown.Add($"I know who is assigned an issue and who authored a pull request, not who {role.Groups["v"].Value} it ('{role.Value.Trim()} {user}')");
                    continue;
                }
                Add(filters, FilterKind.Assignee, user);
                Blank(work, m.Index, m.Length);
                BlankNeighbourWord(work, m.Index, m.Length, PersonWords);
                understood.Add((m.Index, "person " + user));
            }
            if (found.Count > 0)
            {
                text = work.ToString();
            }
        }
    }

    /// <summary>A role other than assignee or author right before a name: reviewers and mergers of PRs, reporters of issues.</summary>
    [GeneratedRegex(@"\b(?:(?<pr>(?<v>reviewed|approved|merged|deployed|released|rejected|closed))|(?<v>created|reported|raised|filed|logged|submitted|opened))\s+by\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex OtherRoleRegex();

    [GeneratedRegex(@"\b(?:prs?|pull[ -]requests?|merge requests?|mrs?)\b", RegexOptions.IgnoreCase)]
    private static partial Regex PullRequestWordRegex();

    [GeneratedRegex(@"\bproject\s+(?<k>[A-Z][A-Z0-9_]{1,9})\b")]
    private static partial Regex UnknownProjectRegex();

    [GeneratedRegex(@"\bteam\s+(?<t>[A-Z][\w-]+)")]
    private static partial Regex UnknownTeamRegex();

    [GeneratedRegex(@"\b(?:our|my|the)\s+(?:whole\s+|entire\s+)?(?:company|organi[sz]ation|org|business|engineering(?:\s+org(?:ani[sz]ation)?)?|department)\b|\bwe\b|\bus\b")]
    private static partial Regex OwnOrganisationRegex();
}
