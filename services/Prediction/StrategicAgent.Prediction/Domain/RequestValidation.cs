using System.Text.RegularExpressions;

namespace StrategicAgent.Prediction.Domain;

/// <summary>A request the service refuses, with a message that says what to change.</summary>
public sealed class InvalidRequestException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>A pull request as the caller named it: "repository#number" or just "number".</summary>
public readonly record struct PullRequestKey(string? Repository, int Number)
{
    public override string ToString() => Repository is null ? "#" + Number : Repository + "#" + Number;
}

/// <summary>
/// Validates the keys of a request before anything is read: count limits, duplicates and shape.
/// Keys are trimmed and issue keys upper-cased (Jira keys are upper-case), so "pay-12" and
/// "PAY-12" are the same key — and a duplicate when both are given.
/// </summary>
public static partial class RequestValidation
{
    [GeneratedRegex(@"^[A-Z][A-Z0-9_]{0,19}-[1-9][0-9]{0,8}$", RegexOptions.CultureInvariant)]
    private static partial Regex IssueKeyRegex();

    [GeneratedRegex(@"^(?:(?<repo>[A-Za-z0-9][A-Za-z0-9._/-]{0,199})#|#?)(?<num>[1-9][0-9]{0,8})$", RegexOptions.CultureInvariant)]
    private static partial Regex PullRequestKeyRegex();

    /// <summary>Normalised issue (or epic) keys, in request order.</summary>
    public static IReadOnlyList<string> IssueKeys(string field, IReadOnlyList<string> keys, int max, int alsoCounted = 0, string example = "PAY-12")
    {
        CheckCount(field, keys.Count + alsoCounted, max);
        var result = new List<string>(keys.Count);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = (keys[i] ?? "").Trim().ToUpperInvariant();
            if (!IssueKeyRegex().IsMatch(key))
            {
                throw new InvalidRequestException(field,
                    $"{field}[{i}] = '{Shorten(keys[i])}' is not an issue key: expected PROJECT-NUMBER, e.g. '{example}'.");
            }
            if (!seen.TryAdd(key, i))
            {
                throw new InvalidRequestException(field,
                    $"{field}[{i}] = '{key}' repeats {field}[{seen[key]}]: give each key once.");
            }
            result.Add(key);
        }
        return result;
    }

    /// <summary>Parsed pull-request keys, in request order.</summary>
    public static IReadOnlyList<PullRequestKey> PullRequestKeys(string field, IReadOnlyList<string> keys, int max)
    {
        CheckCount(field, keys.Count, max);
        var result = new List<PullRequestKey>(keys.Count);
        var seen = new Dictionary<PullRequestKey, int>();
        for (var i = 0; i < keys.Count; i++)
        {
            var raw = (keys[i] ?? "").Trim();
            var m = PullRequestKeyRegex().Match(raw);
            if (!m.Success || !int.TryParse(m.Groups["num"].Value, out var number))
            {
                throw new InvalidRequestException(field,
                    $"{field}[{i}] = '{Shorten(keys[i])}' is not a pull request: expected 'repository#number' (e.g. 'api-gateway#42') or a number.");
            }
            var repo = m.Groups["repo"].Success && m.Groups["repo"].Length > 0 ? m.Groups["repo"].Value.ToLowerInvariant() : null;
            var key = new PullRequestKey(repo, number);
            if (!seen.TryAdd(key, i))
            {
                throw new InvalidRequestException(field,
                    $"{field}[{i}] = '{key}' repeats {field}[{seen[key]}]: give each pull request once.");
            }
            result.Add(key);
        }
        return result;
    }

    public static void CheckCount(string field, int count, int max)
    {
        if (count == 0)
        {
            throw new InvalidRequestException(field, $"{field}: at least one key is required (at most {max} per request).");
        }
        if (count > max)
        {
            throw new InvalidRequestException(field, $"{field}: {count} keys given, at most {max} per request: split the request.");
        }
    }

    public static void CheckTenant(long clientId)
    {
        if (clientId <= 0)
        {
            throw new InvalidRequestException("client_id", "client_id must be a positive tenant id (the gateway sets it from the API key).");
        }
    }

    /// <summary>
    /// A protobuf timestamp's seconds and nanos as an instant, refused when out of range (before year 1,
    /// after year 9999, nanos outside 0..999,999,999): converting those would throw inside the handler.
    /// </summary>
    public static DateTimeOffset Instant(string field, long seconds, int nanos)
    {
        const long first = -62_135_596_800, last = 253_402_300_799;
        if (seconds is < first or > last || nanos is < 0 or > 999_999_999)
        {
            throw new InvalidRequestException(field,
                $"{field} is not a valid timestamp: seconds must lie between {first} (0001-01-01) and {last} (9999-12-31) and nanos between 0 and 999,999,999.");
        }
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
    }

    public static string Required(string field, string? value, int maxLength)
    {
        var v = (value ?? "").Trim();
        if (v.Length == 0)
        {
            throw new InvalidRequestException(field, $"{field} is required.");
        }
        if (v.Length > maxLength)
        {
            throw new InvalidRequestException(field, $"{field} is {v.Length} characters long, at most {maxLength} are accepted.");
        }
        return v;
    }

    private static string Shorten(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "…";
}
