using System.Text.RegularExpressions;

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

    // Linear time whatever the text (an error quoting a 200,000-character value backtracked for minutes).
    [GeneratedRegex(@"\b(System|Microsoft|StrategicAgent|Npgsql|Grpc|Google)\.[A-Z]\w*|`\d|Nullable<|\bList<|\b(Int32|Int64|String|Boolean|Double)\b|\b\w*Exception\b|   at |Value to add was out of range|Object reference not set|Input string was not in a correct format|Index was outside|Specified argument was out of the range|Arithmetic operation resulted in an overflow|Sequence contains no|Exception was thrown by handler|IDX\d{5}", RegexOptions.NonBacktracking)]
    private static partial Regex Pattern();
}
