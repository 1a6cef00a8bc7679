using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using StrategicAgent.Prediction.Domain;

namespace StrategicAgent.Prediction.Infrastructure;

/// <summary>
/// The spool's record payload: the entries of one request, each as fixed-width numbers and
/// length-prefixed UTF-8 strings (little-endian). The features are already JSON.
/// </summary>
public static class PredictionLogCodec
{
    private const byte Version = 1;

    public static void Encode(IReadOnlyList<PredictionLogEntry> entries, ArrayBufferWriter<byte> output)
    {
        Byte(output, Version);
        foreach (var e in entries)
        {
            Int64(output, e.ClientId);
            String(output, e.ModelName);
            Int32(output, e.ModelVersion);
            String(output, e.Key);
            Double(output, e.Value);
            Byte(output, e.Confidence.HasValue ? (byte)1 : (byte)0);
            Double(output, e.Confidence ?? 0);
            String(output, e.FeaturesJson ?? "{}");
            Int32(output, e.FeatureCount);
            Double(output, e.ResponseTimeMs);
            Int64(output, e.CreatedAt.UtcTicks);
        }
    }

    public static void Decode(ReadOnlySpan<byte> payload, int count, List<PredictionLogEntry> into)
    {
        if (payload.Length == 0 || payload[0] != Version)
        {
            throw new InvalidDataException($"Unknown prediction-log record version {(payload.Length == 0 ? -1 : payload[0])}.");
        }
        var r = payload[1..];
        for (var i = 0; i < count; i++)
        {
            var clientId = ReadInt64(ref r);
            var model = ReadString(ref r);
            var version = ReadInt32(ref r);
            var key = ReadString(ref r);
            var value = ReadDouble(ref r);
            var hasConfidence = ReadByte(ref r) == 1;
            var confidence = ReadDouble(ref r);
            var features = ReadString(ref r);
            var featureCount = ReadInt32(ref r);
            var ms = ReadDouble(ref r);
            var ticks = ReadInt64(ref r);
            into.Add(new PredictionLogEntry
            {
                ClientId = clientId,
                ModelName = model,
                ModelVersion = version,
                Key = key,
                Value = value,
                Confidence = hasConfidence ? confidence : null,
                FeaturesJson = features,
                FeatureCount = featureCount,
                ResponseTimeMs = ms,
                CreatedAt = new DateTimeOffset(ticks, TimeSpan.Zero),
            });
        }
    }

    private static void Byte(ArrayBufferWriter<byte> o, byte v)
    {
        o.GetSpan(1)[0] = v;
        o.Advance(1);
    }

    private static void Int32(ArrayBufferWriter<byte> o, int v)
    {
        BinaryPrimitives.WriteInt32LittleEndian(o.GetSpan(4), v);
        o.Advance(4);
    }

    private static void Int64(ArrayBufferWriter<byte> o, long v)
    {
        BinaryPrimitives.WriteInt64LittleEndian(o.GetSpan(8), v);
        o.Advance(8);
    }

    private static void Double(ArrayBufferWriter<byte> o, double v)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(o.GetSpan(8), v);
        o.Advance(8);
    }

    private static void String(ArrayBufferWriter<byte> o, string v)
    {
        var bytes = Encoding.UTF8.GetByteCount(v);
        Int32(o, bytes);
        Encoding.UTF8.GetBytes(v, o.GetSpan(bytes));
        o.Advance(bytes);
    }

    private static byte ReadByte(ref ReadOnlySpan<byte> r)
    {
        var v = r[0];
        r = r[1..];
        return v;
    }

    private static int ReadInt32(ref ReadOnlySpan<byte> r)
    {
        var v = BinaryPrimitives.ReadInt32LittleEndian(r);
        r = r[4..];
        return v;
    }

    private static long ReadInt64(ref ReadOnlySpan<byte> r)
    {
        var v = BinaryPrimitives.ReadInt64LittleEndian(r);
        r = r[8..];
        return v;
    }

    private static double ReadDouble(ref ReadOnlySpan<byte> r)
    {
        var v = BinaryPrimitives.ReadDoubleLittleEndian(r);
        r = r[8..];
        return v;
    }

    private static string ReadString(ref ReadOnlySpan<byte> r)
    {
        var length = ReadInt32(ref r);
        var v = Encoding.UTF8.GetString(r[..length]);
        r = r[length..];
        return v;
    }
}
