using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
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
        // Written straight to UTF-8 (same JSON as serialising a column → value dictionary, without the
        // dictionary, the boxing into it and the serializer's per-value type dispatch): this runs for
        // every logged prediction, on the same two cores as the requests.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        var count = 0;
        writer.WriteStartObject();
        foreach (var (column, kind, property) in layout)
        {
            switch (property.GetValue(row))
            {
                case float f when float.IsFinite(f):
                    writer.WriteNumber(column, f);
                    count++;
                    break;
                case float:
                    writer.WriteNull(column);
                    break;
                case string str:
                    writer.WriteString(column, kind == FeatureKind.Text ? Shorten(str) : str);
                    count += str.Length > 0 ? 1 : 0;
                    break;
                case null:
                    writer.WriteNull(column);
                    break;
                case var other:
                    writer.WritePropertyName(column);
                    JsonSerializer.Serialize(writer, other, other.GetType(), Json);
                    count++;
                    break;
            }
        }
        writer.WriteEndObject();
        writer.Flush();
        return (Encoding.UTF8.GetString(buffer.WrittenSpan), count);
    }

    /// <summary>At most <see cref="MaxTextChars"/> characters, never ending inside a surrogate pair (invalid UTF-16 cannot be written).</summary>
    private static ReadOnlySpan<char> Shorten(string s)
    {
        if (s.Length <= MaxTextChars)
        {
            return s;
        }
        var n = char.IsHighSurrogate(s[MaxTextChars - 1]) ? MaxTextChars - 1 : MaxTextChars;
        return s.AsSpan(0, n);
    }

    // One buffer and writer per thread: the log writer describes a batch at a time on one thread.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
}
