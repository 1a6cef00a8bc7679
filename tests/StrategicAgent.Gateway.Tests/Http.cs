using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

internal static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient http, string path, string json) =>
        http.PostAsync(path, Json(json), TestContext.Current.CancellationToken);

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        try
        {
            return JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            Assert.Fail($"Not JSON ({(int)response.StatusCode}): {text}");
            throw;
        }
    }

    /// <summary>Asserts a ProblemDetails with this status and returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        return problem;
    }

    /// <summary>
    /// Asserts the retry hint every 503 and 429 carries: one <c>Retry-After</c> of whole seconds (1 s to an hour) and the
    /// same number as <c>retry_after_seconds</c> in the problem; returns it.
    /// </summary>
    public static int AssertRetryHint(this HttpResponseMessage response, JsonElement problem)
    {
        Assert.True(response.Headers.TryGetValues("Retry-After", out var values), $"{(int)response.StatusCode} without Retry-After: {problem}");
        var seconds = int.Parse(Assert.Single(values), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, 3600);
        Assert.Equal(seconds, problem.GetProperty("retry_after_seconds").GetInt32());
        return seconds;
    }

    public static string Detail(this JsonElement problem) =>
        problem.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";

    public static Task<T?> ReadAsAsync<T>(this HttpResponseMessage response) =>
        response.Content.ReadFromJsonAsync<T>(TestContext.Current.CancellationToken);
}
