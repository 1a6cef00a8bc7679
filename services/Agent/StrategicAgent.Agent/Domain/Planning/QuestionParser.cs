using System.Text;
using System.Text.RegularExpressions;

namespace StrategicAgent.Agent.Domain.Planning;

public enum RefusalKind
{
    None,
    OutOfScope,
    WriteRequest,
    OtherTenant,
    PromptInjection,
    UnknownEntity,
    UnsupportedDimension,
    /// <summary>Words the semantic layer cannot apply are left over (the coverage rule).</summary>
    UnknownWords,
    /// <summary>Understood, but not answerable as asked (two periods, two groupings, two kinds of rows).</summary>
    Unsupported,
}

/// <summary>
/// Everything the reader understood in one question, in the semantic layer's terms; parts it did not
/// find are null. A question with words it cannot apply is refused (<see cref="RefusalKind.UnknownWords"/>)
/// with what it understood (<see cref="Understood"/>) and the words it could not apply (<see cref="Unknown"/>).
/// </summary>
public sealed record ParsedQuestion
{
    /// <summary>The measure: a catalog metric's name or a derived measure's key.</summary>
    public string? Metric { get; init; }

    /// <summary>An aggregation word without a measure (a follow-up's "and the median?").</summary>
    public Aggregation? Aggregate { get; init; }

    public Dimension? Dimension { get; init; }
    public IReadOnlyList<EntityFilter> Filters { get; init; } = [];
    public IReadOnlyList<Condition> Conditions { get; init; } = [];

    /// <summary>For a share of a subset that is not one named predicate: the subset ("failed", "sev1 or sev2"); a ratio's numerator.</summary>
    public ShareSubset? Subset { get; init; }

    /// <summary>A ratio's denominator ("bugs per story": stories).</summary>
    public ShareSubset? Denominator { get; init; }

    public TimeWindow? Window { get; init; }
    public SortOrder Order { get; init; }
    public int? Limit { get; init; }

    /// <summary>Days per unit of a rate ("per week" = 7), when the question asks for a rate in other units than per day.</summary>
    public int? RateUnitDays { get; init; }

    /// <summary>The count averaged over the groups ("on average, how many PRs per author").</summary>
    public bool AveragePerGroup { get; init; }

    public RefusalKind Refusal { get; init; }
    public string? RefusalReason { get; init; }
    public bool FollowUpCue { get; init; }
    public bool IsPrediction { get; init; }

    /// <summary>What the reader understood, in the layer's words, in question order.</summary>
    public IReadOnlyList<string> Understood { get; init; } = [];

    /// <summary>The words it could not apply (a refusal names them).</summary>
    public IReadOnlyList<string> Unknown { get; init; } = [];

    /// <summary>A refusal of a question the words leave open between readings: each reading, phrased so the reader answers it.</summary>
    public IReadOnlyList<string> Readings { get; init; } = [];

    /// <summary>No entity or measure: only a previous question can say what is measured (a follow-up).</summary>
    public bool NeedsContext { get; init; }

    internal string Question { get; init; } = "";

    /// <summary>The reader's phrases and whether each was used (tests and diagnostics).</summary>
    internal string Slots { get; init; } = "";
    internal TenantVocabulary? Vocabulary { get; init; }

    public bool HasModifiers => Aggregate is not null || Dimension is not null || Filters.Count > 0 || Conditions.Count > 0 || Window is not null
                                || Order != SortOrder.Default || Limit is not null;
}

/// <summary>
/// A share's subset when it is not one named predicate: value filters and conditions. <paramref name="UnknownOutside"/>: a threshold's
/// share of every row, the rows whose value is unknown counted outside it ("…, counting unknown as not over 10"); otherwise a
/// threshold's share is of the rows with a known value (<see cref="AttributeDef.KnownWhen"/>), which the words must say.
/// </summary>
public sealed record ShareSubset(IReadOnlyList<EntityFilter> Filters, IReadOnlyList<Condition> Conditions, bool UnknownOutside = false);

/// <summary>
/// The offline planner's reader: question text → measure + grouping + filters + conditions + window
/// + ordering, in the semantic layer's terms, reading every word through the layer's lexicon and the
/// tenant's names. It never produces SQL; names and numbers it finds become values that the compiler
/// binds as parameters. Every content word must be used by the reading or be a function word:
/// anything left over makes the question a refusal that names it (docs/agent.md, "The coverage rule").
/// </summary>
public static partial class QuestionParser
{
    public static ParsedQuestion Parse(string question, TenantVocabulary vocabulary, DateOnly today) =>
        Parse(question, vocabulary, today, null);

    /// <param name="context">The entity of the conversation's previous question, for a follow-up that names none.</param>
    public static ParsedQuestion Parse(string question, TenantVocabulary vocabulary, DateOnly today, EntityKind? context)
    {
        var original = NormalizeKeepCase(question);
        var lower = original.ToLowerInvariant();

        if (CheckSafety(lower) is { } r)
        {
            return new ParsedQuestion { Refusal = r.Kind, RefusalReason = r.Reason, Question = question, Vocabulary = vocabulary };
        }
        if (PredictionRegex().IsMatch(lower))
        {
            return new ParsedQuestion { IsPrediction = true, Question = question, Vocabulary = vocabulary };
        }
        if (UnsupportedConceptRegex().Match(lower) is { Success: true } unsupported)
        {
            return new ParsedQuestion
            {
                Refusal = RefusalKind.Unsupported,
                RefusalReason = $"The platform's data has no {unsupported.Groups["what"].Value.Trim()}: {UnsupportedReason(unsupported.Groups["what"].Value)}",
                Unknown = [unsupported.Value.Trim()],
                Question = question,
                Vocabulary = vocabulary,
            };
        }

        var reader = new Reader(SemanticModel.Default, original, lower, vocabulary, today, context) { Question = question };
        return reader.Read();
    }

    internal static string NormalizeKeepCase(string q)
    {
        var s = q.Normalize(NormalizationForm.FormKC)
            .Replace('\u2019', '\'').Replace('\u2018', '\'').Replace('\u201C', '"').Replace('\u201D', '"')
            .Replace('\u2013', '-').Replace('\u2014', '-');
        // "bugs-to-stories ratio", "time-to-merge": words joined by "-to-" are the same words (length kept).
        s = HyphenToRegex().Replace(s, " to ");
        // "un-reviewed", "not-done": a negating prefix joined by a hyphen is the same word as written without one ("unreviewed",
        // "not done"). "non-" is not among them: "non-production" is every environment but one, which no value of the layer says.
        s = HyphenUnRegex().Replace(s, "$1");
        s = HyphenNotRegex().Replace(s, "$1 ");
        return WhitespaceRegex().Replace(s, " ").Trim();
    }

    private static (RefusalKind Kind, string Reason)? CheckSafety(string lower)
    {
        if (CreativeRegex().IsMatch(lower))
        {
            return (RefusalKind.OutOfScope, "I answer analytics questions about your engineering data; I don't write poems, stories or other free text.");
        }
        if (InjectionRegex().IsMatch(lower))
        {
            return (RefusalKind.PromptInjection,
                "The question asks me to ignore or change my instructions. I only answer analytics questions about your own organisation's data, read-only.");
        }
        if (WriteRegex().IsMatch(lower))
        {
            return (RefusalKind.WriteRequest,
                "I only read data: I cannot delete, update, insert or change anything.");
        }
        if (OtherTenantRegex().IsMatch(lower))
        {
            return (RefusalKind.OtherTenant,
                "I can only answer about your own organisation: other clients' data is not visible to you (or to me on your behalf).");
        }
        return null;
    }

    private static string UnsupportedReason(string what) => what.Trim() switch
    {
        var w when w.StartsWith("sprint", StringComparison.Ordinal) =>
            "issues have no sprint field in the platform schema (tenants keep sprints in free custom fields whose meaning differs per tenant), so I can't group or filter by sprint.",
        var w when w.StartsWith("label", StringComparison.Ordinal) || w.StartsWith("tag", StringComparison.Ordinal) =>
            "the schema has no labels or tags on issues or pull requests, so I can't filter or group by them.",
        _ => "it is not recorded, so I can't compute it.",
    };

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();

    [GeneratedRegex(@"(?<=[A-Za-z])-to-(?=[A-Za-z])")]
    private static partial Regex HyphenToRegex();

    [GeneratedRegex(@"\b([Uu]n)-(?=[A-Za-z])")]
    private static partial Regex HyphenUnRegex();

    [GeneratedRegex(@"\b([Nn]ot)-(?=[A-Za-z])")]
    private static partial Regex HyphenNotRegex();

    [GeneratedRegex(@"\b(?:write|compose|tell|sing|draft)\s+(?:me\s+)?(?:a|an|some)\s+(?:poem|song|story|essay|haiku|joke|limerick|letter|email)\b")]
    private static partial Regex CreativeRegex();

    [GeneratedRegex(@"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|rules?|prompt|guardrails?|above|previous|prior)\b|\bsystem\s+prompt\b|\byou\s+are\s+now\b|\bjailbreak\b|\bdeveloper\s+mode\b|\bact\s+as\b")]
    private static partial Regex InjectionRegex();

    // "How many lines does a PR delete?" asks about deleted lines: "delete" after "lines" in the same sentence is not a request.
    [GeneratedRegex(@"(?<!\blines?\b[^.?!;]{0,60})\bdelete\b|\b(?:drop|truncate|insert|alter|grant|revoke|update\s+(?:the\s+)?(?:issues|teams|users|projects|table|set)|create\s+(?:table|index|role|user)|remove\s+(?:all|every)|wipe|erase|set\s+\w+\s*=)\b|;\s*(?:select|with)\b|--|/\*")]
    private static partial Regex WriteRegex();

    [GeneratedRegex(@"\b(?:client|tenant|customer|organi[sz]ation|company|org)(?:_id|\s+id)?\s*(?:#|=|:|no\.?|number)?\s*\d+\b|\bclient_id\b|\b(?:all|other|every|another|different|each)\s+(?:(?:the\s+)?(?:other\s+)?)(?:clients?|tenants?|customers?|organi[sz]ations?|companies|company|orgs?)\b|\bacross\s+(?:all\s+|the\s+)?(?:clients|tenants|customers|companies|organi[sz]ations)\b|\bapp\.client_id\b|\brow[\s-]level\s+security\b|\bbypass\b|\b(?:on|across)\s+the\s+(?:whole\s+)?platform\b")]
    private static partial Regex OtherTenantRegex();

    [GeneratedRegex(@"\b(?:predict|predicted|prediction|forecast|when\s+will|will\s+\w+(?:\s+\w+)?\s+(?:finish|be\s+done|complete)|likely\s+to|expected\s+completion|how\s+long\s+will|estimate\s+(?:the\s+)?(?:story\s+points|complexity|completion)|how\s+many\s+(?:story\s+)?points\s+(?:is|are|will|would|should)(?!\s+(?:still|left|remaining|outstanding|open|done|completed|closed|finished|delivered|unfinished|not|in\s+progress)\b)|(?:need|needs|needing)\s+rework)\b")]
    private static partial Regex PredictionRegex();

    /// <summary>Concepts the schema does not hold, refused exactly (sprints and labels live in untyped custom fields).</summary>
    [GeneratedRegex(@"\b(?:by|per|for\s+each|each|in|of|across|the\s+current|this|last|current|every|with\s+the|labell?ed|tagged|with|without)\s+(?:the\s+|a\s+|an\s+)?(?<what>sprints?|labels?|tags?)\b|\b(?<what>sprint)\s+(?:velocity|burndown|burn-down|goal|capacity|\d+)\b")]
    private static partial Regex UnsupportedConceptRegex();
}
