using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace StrategicAgent.Testing;

/// <summary>
/// What an error message shown to a caller must never contain (docs/CONVENTIONS.md, "Errors"):
/// .NET type names, generic arity marks, exception names, stack frames and the runtime's own
/// exception texts. Shared by the HTTP and the gRPC bad-input sweeps.
/// </summary>
public static partial class ErrorLeaks
{
    /// <summary>The first leak in <paramref name="message"/>, or null when it is plain.</summary>
    public static string? Find(string? message) =>
        message is not null && Pattern().Match(message) is { Success: true } m ? m.Value : null;

    /// <summary>
    /// The sweeps' shared run: sends every case four at a time (the sweep's wall time, not a load test),
    /// judges each answer, writes each failure and a summary line (count, time, load average, the three
    /// slowest cases and <paramref name="tally"/>). Returns null when every case passed, else what failed
    /// (callers <c>Assert.Null</c> it).
    /// </summary>
    /// <param name="noun">What a case is called in the summary ("requests", "calls").</param>
    public static async Task<string?> SweepAsync<TCase, TAnswer>(
        IReadOnlyList<TCase> cases, Func<TCase, CancellationToken, Task<TAnswer>> send, Func<TCase, TAnswer, IEnumerable<string>> judge,
        Func<TCase, string> name, Func<TAnswer, TimeSpan> took, ITestOutputHelper output, string noun, CancellationToken ct,
        Func<IReadOnlyList<TAnswer>, string>? tally = null)
    {
        var sw = Stopwatch.StartNew();
        var answers = new TAnswer[cases.Count];
        await Parallel.ForAsync(0, cases.Count, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (i, token) => answers[i] = await send(cases[i], token));
        var failures = cases.Zip(answers).SelectMany(x => judge(x.First, x.Second)).Distinct().ToList();
        var slowest = cases.Zip(answers).OrderByDescending(x => took(x.Second)).Take(3)
            .Select(x => $"{name(x.First)} {took(x.Second).TotalMilliseconds:F0} ms");
        foreach (var failure in failures)
        {
            output.WriteLine("FAIL " + failure);
        }
        var counts = tally is null ? "" : "; " + tally(answers);
        output.WriteLine($"{cases.Count} {noun} in {sw.Elapsed.TotalSeconds:F1} s (load {Load()}), {failures.Count} failures{counts}; slowest: {string.Join("; ", slowest)}");
        return failures.Count == 0 ? null : $"{failures.Count} of {cases.Count} {noun} failed the sweep:\n" + string.Join('\n', failures.Take(80));
    }

    /// <summary>
    /// Strings both sweeps put into every string field: empty, blank, NUL, control characters, emoji with a
    /// right-to-left override, SQL and markup. Each sweep adds its own: HTTP a lone surrogate escape (only JSON
    /// can say one), gRPC 200,000 characters.
    /// </summary>
    public static readonly IReadOnlyList<(string What, string Text)> AwkwardStrings =
    [
        ("empty", ""),
        ("blank", "   "),
        ("a NUL character", "a\u0000b"),
        ("control characters", "\u0001\u001f\u007f"),
        ("emoji and RTL override", "\U0001F600 \u202Eabc"),
        ("SQL and markup", "'; DROP TABLE clients; -- <script>alert(1)</script> %s {0} ${x}"),
    ];

    /// <summary>At most 300 characters of <paramref name="s"/>, for a failure line.</summary>
    public static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    /// <summary>The one-minute load average (figures measured on a shared machine say it).</summary>
    public static string Load() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    // Linear time whatever the text (an error quoting a 200,000-character value backtracked for minutes).
    [GeneratedRegex(@"\b(System|Microsoft|StrategicAgent|Npgsql|Grpc|Google)\.[A-Z]\w*|`\d|Nullable<|\bList<|\b(Int32|Int64|String|Boolean|Double)\b|\b\w*Exception\b|   at |Value to add was out of range|Object reference not set|Input string was not in a correct format|Index was outside|Specified argument was out of the range|Arithmetic operation resulted in an overflow|Sequence contains no|Exception was thrown by handler|IDX\d{5}", RegexOptions.NonBacktracking)]
    private static partial Regex Pattern();
}
