using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace StrategicAgent.Semantic;

/// <summary>
/// One phrase of the lexicon and the concept it names. <see cref="Pattern"/> is a regular-expression
/// fragment over the normalised (lower-case) question, matched on word boundaries.
/// </summary>
public sealed record LexiconEntry(ConceptKind Kind, string Target, string Pattern)
{
    /// <summary>The entity the concept belongs to (a metric's, attribute's, predicate's, event's), if any.</summary>
    public EntityKind? Entity { get; init; }

    /// <summary>For a dimension value ("sev1", "failed"): the filter it sets.</summary>
    public FilterKind? Filter { get; init; }

    /// <summary>For a grouping noun: the dimension.</summary>
    public Dimension? Dimension { get; init; }

    /// <summary>What the concept means in plain words ("without review", "changed files").</summary>
    public string Label { get; init; } = "";
}

/// <summary>A phrase of the question that matched a lexicon entry: [Start, Start + Length) of the normalised text.</summary>
public sealed record LexiconHit(LexiconEntry Entry, int Start, int Length, string Text)
{
    public int End => Start + Length;

    /// <summary>For a window hit, the resolved period.</summary>
    public TimeWindow? Window { get; init; }

    public bool Overlaps(int start, int end) => Start < end && start < End;
}

/// <summary>A word of the question: [Start, Start + Length) of the normalised text.</summary>
public readonly record struct Token(int Start, int Length, string Text)
{
    public int End => Start + Length;
}

/// <summary>
/// Words and phrases → concepts (metric, entity, attribute, measure, filter, grouping, window, order,
/// comparator, listing, event), built from the semantic layer's definitions. The agent's parser
/// and the validation service's judge both read questions through it; <see cref="StopWords"/> are
/// the function words that may stay unexplained.
/// </summary>
public sealed partial class Lexicon
{
    private readonly (Regex Regex, LexiconEntry[] Entries, string? FirstChars)[] _patterns;

    internal Lexicon(IEnumerable<LexiconEntry> entries, IEnumerable<string> stopWords)
    {
        Entries = entries.ToList();
        StopWords = new HashSet<string>(stopWords, StringComparer.Ordinal);
        _patterns = Entries
            .GroupBy(e => e.Pattern, StringComparer.Ordinal)
            .Select(g => (Wrap(g.Key), g.ToArray(), FirstChars(g.Key)))
            .ToArray();
    }

    public IReadOnlyList<LexiconEntry> Entries { get; }

    public IReadOnlySet<string> StopWords { get; }

    /// <summary>
    /// Every lexicon phrase in the question (overlapping hits included, so a reader can choose the
    /// longest or the one that fits its entity), plus every time window, ordered by position and
    /// then by length (longest first). Positions refer to <see cref="Normalize"/>d text.
    /// </summary>
    public IReadOnlyList<LexiconHit> Scan(string question, DateOnly today) => ScanNormalized(Normalize(question), today);

    /// <summary>
    /// <see cref="Scan"/> over text that is already normalised (lower-case) and may hold runs of spaces
    /// where a reader blanked what it read: positions are kept exactly.
    /// </summary>
    public IReadOnlyList<LexiconHit> ScanNormalized(string text, DateOnly today)
    {
        var hits = new List<LexiconHit>();
        foreach (var (regex, entries, first) in _patterns)
        {
            // Most of the layer's ~800 patterns cannot match a given question: a pattern whose every match starts with one of a
            // few known characters is skipped when the text has none of them (a regex call costs far more than the search).
            if (first is not null && text.AsSpan().IndexOfAny(first) < 0)
            {
                continue;
            }
            for (var m = regex.Match(text); m.Success; m = m.NextMatch())
            {
                if (m.Length == 0)
                {
                    continue;
                }
                foreach (var e in entries)
                {
                    hits.Add(new LexiconHit(e, m.Index, m.Length, m.Value));
                }
            }
        }
        foreach (var w in TimeWindowParser.ParseAll(text, today))
        {
            hits.Add(new LexiconHit(new LexiconEntry(ConceptKind.Window, w.Window.Code, "") { Label = w.Window.Label }, w.Index, w.Length,
                text.Substring(w.Index, w.Length)) { Window = w.Window });
        }
        hits.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Length.CompareTo(a.Length));
        return hits;
    }

    /// <summary>The entries whose <see cref="LexiconEntry.Kind"/> is <paramref name="kind"/>.</summary>
    public IEnumerable<LexiconEntry> Of(ConceptKind kind) => Entries.Where(e => e.Kind == kind);

    /// <summary>
    /// The question as the lexicon reads it: Unicode-normalised, typographic quotes and dashes made
    /// plain, whitespace collapsed, lower-case. Lengths never change except by whitespace collapse,
    /// so callers that need positions should normalise first and work on the result.
    /// </summary>
    public static string Normalize(string question)
    {
        var s = question.Normalize(NormalizationForm.FormKC)
            .Replace('\u2019', '\'').Replace('\u2018', '\'').Replace('\u201C', '"').Replace('\u201D', '"')
            .Replace('\u2013', '-').Replace('\u2014', '-');
        return WhitespaceRegex().Replace(s, " ").Trim().ToLowerInvariant();
    }

    /// <summary>
    /// The words of a normalised text. A trailing possessive "'s" and the auxiliaries contracted onto a word
    /// ("we've", "who'd", "they're", "we'll", "I'm") are not part of it; a negation ("don't", "isn't") is kept whole.
    /// </summary>
    public static IReadOnlyList<Token> Tokenize(string normalized)
    {
        var tokens = new List<Token>();
        foreach (Match m in TokenRegex().Matches(normalized))
        {
            var len = m.Length;
            if (m.Index > 0 && normalized[m.Index - 1] == '\'' && ContractedAuxiliaries.Contains(m.Value))
            {
                continue; // "'ve" left after the reader read the word it was contracted onto
            }
            var apostrophe = normalized.LastIndexOf('\'', m.Index + len - 1, len);
            if (apostrophe > m.Index && ContractedAuxiliaries.Contains(normalized[(apostrophe + 1)..(m.Index + len)]))
            {
                len = apostrophe - m.Index;
            }
            tokens.Add(new Token(m.Index, len, normalized.Substring(m.Index, len)));
        }
        return tokens;
    }

    private static readonly HashSet<string> ContractedAuxiliaries = new(StringComparer.Ordinal) { "s", "ve", "re", "ll", "d", "m" };

    public bool IsStopWord(string token) => StopWords.Contains(token);

    /// <summary>Splits a pattern on its top-level '|' (alternatives), keeping nested groups whole.</summary>
    public static IReadOnlyList<string> Alternatives(string pattern)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    i++;
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case '|' when depth == 0:
                    parts.Add(pattern[start..i]);
                    start = i + 1;
                    break;
            }
        }
        parts.Add(pattern[start..]);
        return parts.Where(p => p.Length > 0).ToList();
    }

    /// <summary>
    /// The characters one of which every match of <paramref name="pattern"/> (as <see cref="Wrap"/> wraps it) starts with, or null
    /// when that cannot be read off the text simply: each top-level alternative must begin with a letter or digit (a literal in a
    /// regex) that no quantifier makes optional. The wrapping keeps an alternative's first character (spaces and "without" are
    /// rewritten after it; the word-boundary lookaround matches no character), and the patterns are matched case-sensitively.
    /// </summary>
    internal static string? FirstChars(string pattern)
    {
        // A character class may hold '|', '(' or ')' as literals: such a pattern is not split here.
        if (pattern.Contains('[', StringComparison.Ordinal))
        {
            return null;
        }
        var first = new HashSet<char>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= pattern.Length; i++)
        {
            if (i < pattern.Length)
            {
                switch (pattern[i])
                {
                    case '\\':
                        i++;
                        continue;
                    case '(':
                        depth++;
                        continue;
                    case ')' when depth == 0:
                        return null;
                    case ')':
                        depth--;
                        continue;
                    case not '|':
                        continue;
                }
                if (depth != 0)
                {
                    continue;
                }
            }
            // An alternative [start, i): its first character must be a plain letter or digit, not made optional.
            if (i == start || !char.IsLetterOrDigit(pattern[start]) || start + 1 < i && pattern[start + 1] is '?' or '*' or '{')
            {
                return null;
            }
            first.Add(pattern[start]);
            start = i + 1;
        }
        return first.Count == 0 ? null : string.Concat(first.Order());
    }

    /// <summary>A pattern on word boundaries (a symbol such as "%" or "&gt;" needs none).</summary>
    internal static Regex Wrap(string pattern)
    {
        // "w/o" is how "without" is abbreviated: every definition's "without" reads it too.
        pattern = WithoutRegex().Replace(pattern, "(?:without|w/o)");
        var wordStart = pattern.Length > 0 && (char.IsLetterOrDigit(pattern[0]) || pattern[0] == '(');
        var last = pattern[^1];
        var wordEnd = char.IsLetterOrDigit(last) || last is ')' or '?' or ']' or '*';
        // A space in a pattern matches a run of spaces (a reader may blank the words it has already read) or a hyphen: a compound
        // written hyphenated ("90th-percentile", "most-commented", "in-progress") is the same words.
        var spaced = new StringBuilder();
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                spaced.Append(c).Append(pattern[++i]);
                continue;
            }
            inClass = c == '[' || (inClass && c != ']');
            if (c == ' ' && !inClass && i + 1 < pattern.Length && pattern[i + 1] == '?')
            {
                // An optional space ("sev ?1") stays optional: " +?" would be a lazy one-or-more.
                spaced.Append(" *");
                i++;
                continue;
            }
            spaced.Append(c == ' ' && !inClass ? "(?: +|-)" : c.ToString());
        }
        var text = (wordStart ? @"(?<![\p{L}\p{N}_-])" : "") + "(?:" + spaced + ")" + (wordEnd ? @"(?![\p{L}\p{N}_])(?!-\p{L})" : "");
        // The patterns are the layer's own (validated when it is built) and questions are short: the timeout only
        // guards against a pathological definition, so it is generous enough for a machine under heavy load.
        return new Regex(text, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5));
    }

    internal static string Describe(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();

    [GeneratedRegex(@"\bwithout\b")]
    private static partial Regex WithoutRegex();

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['\-\.][\p{L}\p{N}]+)*")]
    private static partial Regex TokenRegex();
}
