using System.Net.Http.Json;
using System.Text.Json;

namespace StrategicAgent.Evaluation;

/// <summary>Where answers come from: the system under evaluation, asked one question at a time.</summary>
public interface IAnswerSource
{
    Task<AgentAnswer> AskAsync(string question, CancellationToken ct);
}

/// <summary>
/// Asks through the gateway's HTTP API as a user would: <c>POST /api/v1/agent/ask</c> with an API key
/// (the key chooses the tenant). A non-success status or unreadable body is an <c>error</c> answer.
/// </summary>
public sealed class GatewayAnswerSource : IAnswerSource, IDisposable
{
    private readonly HttpClient _http;

    public GatewayAnswerSource(string gatewayUrl, string apiKey, TimeSpan? timeout = null)
    {
        _http = new HttpClient { BaseAddress = new Uri(gatewayUrl.TrimEnd('/') + "/"), Timeout = timeout ?? TimeSpan.FromSeconds(120) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    public async Task<AgentAnswer> AskAsync(string question, CancellationToken ct)
    {
        try
        {
            using var response = await _http.PostAsJsonAsync("api/v1/agent/ask", new { question }, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                return AgentAnswer.Refusal($"HTTP {(int)response.StatusCode}: {Truncate(body)}", "error");
            }
            return Parse(body);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return AgentAnswer.Refusal($"{e.GetType().Name}: {e.Message}", "error");
        }
    }

    /// <summary>The gateway's answer JSON: status, answer, sql, columns, rows (arrays of values).</summary>
    public static AgentAnswer Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        string Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
        var columns = root.TryGetProperty("columns", out var c) && c.ValueKind == JsonValueKind.Array
            ? c.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
            : [];
        var rows = root.TryGetProperty("rows", out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Select(row => (IReadOnlyList<Cell>)row.EnumerateArray().Select(Cell.FromJson).ToList()).ToList()
            : [];
        return new AgentAnswer(Text("status"), Text("answer"), Text("sql"), columns, rows);
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "…";

    public void Dispose() => _http.Dispose();
}
