using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using StrategicAgent.Ml.Features;

namespace StrategicAgent.Prediction.Domain;

/// <summary>
/// How a feature row is logged: its features by view column (the names the training statistics
/// use, so drift can be computed from the log), text features shortened, and the count of
/// features that had a value.
/// </summary>
public static class FeatureLogFormat
{
    public const int MaxTextChars = 200;

    private static readonly ConcurrentDictionary<Type, (string Column, FeatureKind Kind, PropertyInfo Property)[]> Layouts = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static (string Json, int Count) Describe(object? row)
    {
        if (row is null)
        {
            return ("{}", 0);
        }
        var layout = Layouts.GetOrAdd(row.GetType(), t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, a: p.GetCustomAttribute<FeatureAttribute>()))
            .Where(x => x.a is not null)
            .Select(x => (x.a!.Column, x.a.Kind, x.p))
            .ToArray());
        var values = new Dictionary<string, object?>(layout.Length, StringComparer.Ordinal);
        var count = 0;
        foreach (var (column, kind, property) in layout)
        {
            var value = property.GetValue(row);
            switch (value)
            {
                case float f:
                    values[column] = float.IsFinite(f) ? f : null;
                    count += float.IsFinite(f) ? 1 : 0;
                    break;
                case string s:
                    values[column] = kind == FeatureKind.Text && s.Length > MaxTextChars ? s[..MaxTextChars] : s;
                    count += s.Length > 0 ? 1 : 0;
                    break;
                default:
                    values[column] = value;
                    count += value is null ? 0 : 1;
                    break;
            }
        }
        return (JsonSerializer.Serialize(values, Json), count);
    }
}
