using System.Collections.Concurrent;
using System.Text;

namespace StrategicAgent.Protos;

/// <summary>
/// The names the contracts' closed sets (proto enums such as <c>ModelName</c>, <c>RiskLevel</c>, <c>Severity</c>) have
/// outside gRPC — in the gateway's HTTP JSON, the registry's and the log's text columns, messages: the enum value's
/// C# name in lower snake case (<c>ModelName.Trajectory</c> → <c>trajectory</c>, <c>RiskLevel.High</c> → <c>high</c>),
/// and the empty string for the <c>Unspecified</c> (0) value. One place, so every service spells them the same way.
/// </summary>
public static class WireNames
{
    private static readonly ConcurrentDictionary<Type, (Dictionary<int, string> ToName, Dictionary<string, int> ToValue)> Cache = new();

    /// <summary>The wire name of <paramref name="value"/> ("" for 0, unspecified).</summary>
    public static string ToWire<T>(this T value) where T : struct, Enum =>
        Names<T>().ToName.GetValueOrDefault(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture), "");

    /// <summary>The value named <paramref name="name"/> (case-insensitive, trimmed); false for an unknown or empty name.</summary>
    public static bool TryParse<T>(string? name, out T value) where T : struct, Enum
    {
        if (name is not null && Names<T>().ToValue.TryGetValue(name.Trim(), out var v))
        {
            value = (T)Enum.ToObject(typeof(T), v);
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>The wire names of every value but unspecified, in value order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum =>
        Names<T>().ToName.Where(kv => kv.Key != 0).OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList();

    private static (Dictionary<int, string> ToName, Dictionary<string, int> ToValue) Names<T>() where T : struct, Enum =>
        Cache.GetOrAdd(typeof(T), _ =>
        {
            var toName = new Dictionary<int, string>();
            foreach (var v in Enum.GetValues<T>())
            {
                var i = Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture);
                if (i != 0)
                {
                    toName[i] = Snake(v.ToString());
                }
            }
            return (toName, toName.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.OrdinalIgnoreCase));
        });

    private static string Snake(string pascal)
    {
        var b = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0)
            {
                b.Append('_');
            }
            b.Append(char.ToLowerInvariant(pascal[i]));
        }
        return b.ToString();
    }
}
