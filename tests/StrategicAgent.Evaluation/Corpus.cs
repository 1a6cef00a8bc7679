using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace StrategicAgent.Evaluation;

/// <summary>The two halves of the corpus. Tuning looks at <see cref="Dev"/> only; figures are reported on <see cref="Test"/>.</summary>
public enum CorpusHalf
{
    Dev,
    Test,
}

/// <summary>One wording of an intent's question.</summary>
/// <param name="Id">Stable id: <c>{intent}/{n}</c>.</param>
public sealed record CorpusQuestion(string Id, string Text);

/// <summary>
/// One intent: a question asked in several paraphrases, with either the gold SQL every paraphrase must
/// reproduce or the reason it must be refused.
/// </summary>
public sealed record CorpusIntent
{
    public required string Intent { get; init; }

    /// <summary>Subject family (issues, lead-time, …), or <c>trap</c> for questions that must be refused.</summary>
    public required string Family { get; init; }

    /// <summary>Optional tag: one of the failure classes of issue 10 (condition-dropped, measure-replaced, grouping-dropped, listing, units, other-tenant) or a trap kind.</summary>
    public string? Class { get; init; }

    /// <summary>Gold SQL, run as the tenant; null for a trap.</summary>
    public string? Gold { get; init; }

    /// <summary>Why a trap must be refused; null for an answerable intent.</summary>
    public string? Refuse { get; init; }

    /// <summary>What an answer must contain to be right, in words.</summary>
    public string? Must { get; init; }

    /// <summary>Units the answer's numbers may be in: each numeric gold column may be multiplied by one of these (e.g. 24 for days given in hours).</summary>
    public IReadOnlyList<double> Scale { get; init; } = [1.0];

    public required IReadOnlyList<CorpusQuestion> Questions { get; init; }

    public bool IsTrap => Refuse is not null;
}

/// <summary>Loads, writes and splits the question corpus (<c>tests/corpus/agent/*.yaml</c>; format in its README).</summary>
public static class Corpus
{
    /// <summary>The seed of the committed dev/test split (see <see cref="Split"/>).</summary>
    public const string SplitSeed = "strategicagent-agent-eval-2026-12-05";

    /// <summary>Finds <c>tests/corpus/agent</c> above <paramref name="start"/> (default: the current directory, then this assembly's directory).</summary>
    public static string Directory(string? start = null)
    {
        foreach (var origin in new[] { start, Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = origin is null ? null : new DirectoryInfo(origin); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "corpus", "agent");
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new DirectoryNotFoundException("tests/corpus/agent was not found above the current directory: run from the repository, or give a corpus file path.");
    }

    /// <summary>
    /// <c>dev</c>, <c>test</c> (the committed halves), any other corpus file of <c>tests/corpus/agent</c> by its name
    /// (<c>dev-extension</c>, <c>dev-extension-3</c>, … — a file added there needs no code), the short forms
    /// <c>dev-ext</c>, <c>dev-ext-N</c>, or a path to a corpus file. An unknown name fails naming the corpus files there.
    /// </summary>
    public static string ResolvePath(string nameOrPath)
    {
        if (File.Exists(nameOrPath) || nameOrPath.Contains('/', StringComparison.Ordinal) || nameOrPath.Contains('\\', StringComparison.Ordinal)
            || nameOrPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
        {
            return nameOrPath;
        }
        var name = nameOrPath.ToLowerInvariant();
        if (name.StartsWith("dev-ext", StringComparison.Ordinal) && !name.StartsWith("dev-extension", StringComparison.Ordinal))
        {
            name = "dev-extension" + name["dev-ext".Length..];
        }
        var dir = Directory();
        var path = Path.Combine(dir, name + ".yaml");
        if (!File.Exists(path))
        {
            var known = System.IO.Directory.GetFiles(dir, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
            throw new FileNotFoundException($"No corpus '{nameOrPath}': give one of {string.Join(", ", known)} (files of {dir}) or a path to a corpus file.", path);
        }
        return path;
    }

    public static IReadOnlyList<CorpusIntent> Load(string path) =>
        Parse(File.ReadAllText(path), path);

    /// <summary>Parses corpus YAML; every problem names the intent and the file.</summary>
    public static IReadOnlyList<CorpusIntent> Parse(string yaml, string source = "corpus")
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        var raw = deserializer.Deserialize<List<RawIntent>?>(yaml) ?? [];
        var intents = new List<CorpusIntent>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in raw)
        {
            var name = r.Intent?.Trim();
            if (string.IsNullOrEmpty(name))
            {
                throw new FormatException($"{source}: an entry has no 'intent'.");
            }
            string Fail(string what) => throw new FormatException($"{source}: intent '{name}': {what}.");
            if (!seen.Add(name))
            {
                Fail("appears twice");
            }
            if (string.IsNullOrWhiteSpace(r.Family))
            {
                Fail("no 'family'");
            }
            if (string.IsNullOrWhiteSpace(r.Gold) == string.IsNullOrWhiteSpace(r.Refuse))
            {
                Fail("needs exactly one of 'gold' (SQL) and 'refuse' (why it must be refused)");
            }
            if (r.Questions is not { Count: > 0 })
            {
                Fail("no questions");
            }
            var scale = r.Scale is { Count: > 0 } ? r.Scale : [1.0];
            if (scale.Any(s => !(s > 0) || double.IsInfinity(s)))
            {
                Fail("every 'scale' factor must be a positive number");
            }
            var questions = new List<CorpusQuestion>();
            for (var i = 0; i < r.Questions!.Count; i++)
            {
                var (id, text) = r.Questions[i] switch
                {
                    string s => ($"{name}/{i + 1}", s),
                    IDictionary<object, object> d => (d.TryGetValue("id", out var v) ? v?.ToString() : null, d.TryGetValue("text", out var t) ? t?.ToString() : null),
                    _ => (null, null),
                };
                if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(text))
                {
                    Fail($"question {i + 1} needs an id and a text");
                }
                questions.Add(new CorpusQuestion(id!, text!.Trim()));
            }
            intents.Add(new CorpusIntent
            {
                Intent = name,
                Family = r.Family!.Trim(),
                Class = string.IsNullOrWhiteSpace(r.Class) ? null : r.Class.Trim(),
                Gold = string.IsNullOrWhiteSpace(r.Gold) ? null : r.Gold.Trim(),
                Refuse = string.IsNullOrWhiteSpace(r.Refuse) ? null : r.Refuse.Trim(),
                Must = string.IsNullOrWhiteSpace(r.Must) ? null : r.Must.Trim(),
                Scale = scale,
                Questions = questions,
            });
        }
        var duplicateIds = intents.SelectMany(i => i.Questions).GroupBy(q => q.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicateIds is not null)
        {
            throw new FormatException($"{source}: question id '{duplicateIds.Key}' appears twice.");
        }
        return intents;
    }

    /// <summary>
    /// Splits by intent (all paraphrases of an intent land in the same half), deterministically: intents are
    /// stratified by class (one of issue 10's failure classes or a trap kind) and, without one, by family;
    /// within a stratum they are ordered by HMAC-SHA256(<paramref name="seed"/>, intent) and dealt alternately
    /// to dev and test, so every class and family is split evenly (dev gets the odd one). Each half keeps the
    /// input order.
    /// </summary>
    public static (IReadOnlyList<CorpusIntent> Dev, IReadOnlyList<CorpusIntent> Test) Split(IReadOnlyList<CorpusIntent> intents, string seed = SplitSeed)
    {
        var key = Encoding.UTF8.GetBytes(seed);
        var half = new Dictionary<string, CorpusHalf>(StringComparer.Ordinal);
        foreach (var stratum in intents.GroupBy(i => i.Class ?? i.Family))
        {
            var ordered = stratum.OrderBy(i => Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(i.Intent))), StringComparer.Ordinal).ToList();
            for (var n = 0; n < ordered.Count; n++)
            {
                half[ordered[n].Intent] = n % 2 == 0 ? CorpusHalf.Dev : CorpusHalf.Test;
            }
        }
        return (intents.Where(i => half[i.Intent] == CorpusHalf.Dev).ToList(), intents.Where(i => half[i.Intent] == CorpusHalf.Test).ToList());
    }

    /// <summary>Writes intents in the corpus format (questions with explicit ids, SQL as literal blocks).</summary>
    public static string Write(IReadOnlyList<CorpusIntent> intents, string header)
    {
        var sb = new StringBuilder();
        foreach (var line in header.Split('\n'))
        {
            sb.Append("# ").AppendLine(line.TrimEnd());
        }
        foreach (var i in intents)
        {
            sb.AppendLine();
            sb.Append("- intent: ").AppendLine(Quote(i.Intent));
            sb.Append("  family: ").AppendLine(Quote(i.Family));
            if (i.Class is not null)
            {
                sb.Append("  class: ").AppendLine(Quote(i.Class));
            }
            if (i.Must is not null)
            {
                sb.Append("  must: ").AppendLine(Quote(i.Must));
            }
            if (i.Scale is not [1.0])
            {
                sb.Append("  scale: [").Append(string.Join(", ", i.Scale.Select(s => s.ToString("R", CultureInfo.InvariantCulture)))).AppendLine("]");
            }
            if (i.Gold is not null)
            {
                sb.AppendLine("  gold: |");
                foreach (var line in i.Gold.Split('\n'))
                {
                    sb.Append("    ").AppendLine(line.TrimEnd());
                }
            }
            else
            {
                sb.Append("  refuse: ").AppendLine(Quote(i.Refuse!));
            }
            sb.AppendLine("  questions:");
            foreach (var q in i.Questions)
            {
                sb.Append("    - id: ").AppendLine(Quote(q.Id));
                sb.Append("      text: ").AppendLine(Quote(q.Text));
            }
        }
        return sb.ToString();
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private sealed class RawIntent
    {
        public string? Intent { get; set; }
        public string? Family { get; set; }
        public string? Class { get; set; }
        public string? Gold { get; set; }
        public string? Refuse { get; set; }
        public string? Must { get; set; }
        public List<double>? Scale { get; set; }
        public List<object>? Questions { get; set; }
    }
}
