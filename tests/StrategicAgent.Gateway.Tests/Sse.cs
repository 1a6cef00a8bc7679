using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace StrategicAgent.Gateway.Tests;

internal sealed record SseEvent(string Type, JsonElement Data, TimeSpan ReceivedAfter);

/// <summary>Reads a text/event-stream as it arrives (each event stamped with when it came).</summary>
internal static class Sse
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string type = "message";
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    yield return new SseEvent(type, JsonDocument.Parse(data.ToString()).RootElement, sw.Elapsed);
                }
                type = "message";
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                type = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (data.Length > 0)
                {
                    data.Append('\n');
                }
                data.Append(line[5..].TrimStart());
            }
        }
    }
}
