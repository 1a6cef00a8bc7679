namespace StrategicAgent.Validation.Domain;

/// <summary>Stable finding codes: callers (the agent's retry loop, the gateway, learning memory) key on them.</summary>
public static class Codes
{
    // syntax stage
    public const string SyntaxError = "syntax_error";
    public const string NestingTooDeep = "nesting_too_deep";

    // static stage
    public const string MultipleStatements = "multiple_statements";
    public const string NotReadOnly = "not_read_only";
    public const string UnknownTable = "unknown_table";
    public const string UnknownColumn = "unknown_column";
    public const string ForbiddenFunction = "forbidden_function";
    public const string MissingTenantFilter = "missing_tenant_filter";
    public const string MissingLimit = "missing_limit";

    // cost stage
    public const string TooExpensive = "too_expensive";
    public const string PlanError = "plan_error";

    // semantic stage
    public const string SemanticMismatch = "semantic_mismatch";
    public const string JudgeUnavailable = "judge_unavailable";
    public const string SemanticSkipped = "semantic_skipped";
    public const string TieAtLimit = "tie_at_limit";
    public const string TieUnchecked = "tie_unchecked";
    public const string TieNotKept = "tie_not_kept";
}

public static class Stages
{
    public const string Syntax = "syntax";
    public const string Static = "static";
    public const string Cost = "cost";
    public const string Semantic = "semantic";
    public const string Ok = "ok";
}

/// <summary>One problem found: a stable code, a message a model can act on, and a 1-based position (0 = none).</summary>
public sealed record Finding(
    string Code,
    string Message,
    int Position = 0,
    int Line = 0,
    int Column = 0,
    IReadOnlyList<string>? Suggestions = null)
{
    public IReadOnlyList<string> Suggestions { get; init; } = Suggestions ?? [];
}

internal static class Suggest
{
    /// <summary>Closest names by edit distance (with a bonus for a shared prefix/containment), best first.</summary>
    public static List<string> Closest(string name, IEnumerable<string> candidates, int max = 3)
    {
        var scored = new List<(string Name, double Score)>();
        foreach (var c in candidates.Distinct())
        {
            var d = Distance(name, c);
            var limit = Math.Max(2, Math.Max(name.Length, c.Length) / 2);
            var contains = c.Contains(name, StringComparison.Ordinal) || name.Contains(c, StringComparison.Ordinal);
            if (d <= limit || (contains && Math.Min(name.Length, c.Length) >= 3))
            {
                scored.Add((c, d - (contains ? 1.5 : 0)));
            }
        }
        return scored.OrderBy(s => s.Score).ThenBy(s => s.Name, StringComparer.Ordinal).Take(max).Select(s => s.Name).ToList();
    }

    public static int Distance(string a, string b)
    {
        if (a.Length == 0)
        {
            return b.Length;
        }
        if (b.Length == 0)
        {
            return a.Length;
        }
        Span<int> prev = stackalloc int[b.Length + 1];
        Span<int> cur = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            cur.CopyTo(prev);
        }
        return prev[b.Length];
    }

    public static string Quote(IReadOnlyList<string> names) => string.Join(", ", names.Select(n => $"\"{n}\""));
}
