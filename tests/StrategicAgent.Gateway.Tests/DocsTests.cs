using System.Net;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

public sealed class DocsTests(GatewayFixture fx)
{
    [Fact]
    public async Task OpenApi_document_lists_every_route_and_the_api_key_scheme()
    {
        using var http = fx.Gateway.Client();
        var doc = await (await http.GetAsync("openapi/v1.json", TestContext.Current.CancellationToken)).ReadJsonAsync();

        var paths = doc.GetProperty("paths");
        string[] expected =
        [
            "/api/v1/sql/validate", "/api/v1/agent/ask", "/api/v1/agent/ask/stream", "/api/v1/agent/catalog",
            "/api/v1/models", "/api/v1/models/{name}/versions", "/api/v1/models/{name}/train",
            "/api/v1/models/{name}/runs/{requestId}", "/api/v1/models/{name}/deploy",
            "/api/v1/predictions/trajectory", "/api/v1/predictions/complexity", "/api/v1/predictions/rework",
            "/api/v1/predictions/unified", "/api/v1/alerts", "/api/v1/alerts/{id}/ack", "/api/v1/health/ml",
        ];
        var actual = paths.EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.All(expected, p => Assert.Contains(p, actual));

        var scheme = doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());

        var validate = paths.GetProperty("/api/v1/sql/validate").GetProperty("post");
        Assert.True(validate.GetProperty("security")[0].TryGetProperty("ApiKey", out _));
        Assert.True(validate.GetProperty("responses").TryGetProperty("401", out _));
        // snake_case in the schema, as on the wire.
        var schemas = doc.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("SqlValidationResult").GetProperty("properties").TryGetProperty("timings_ms", out _));
    }

    [Fact]
    public async Task Api_reference_page_loads()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fx.Gateway.Client();
        var page = await http.GetAsync("scalar", ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.Contains("openapi/v1.json", html);

        var docs = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fx.Gateway.BaseAddress }
            .GetAsync("docs", ct);
        Assert.Equal("/scalar", docs.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Web_ui_is_served_at_the_root()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fx.Gateway.Client();
        var html = await http.GetStringAsync("", ct);
        Assert.Contains("id=\"question\"", html);
        Assert.Contains("href=\"/scalar\"", html);
        var js = await http.GetStringAsync("app.js", ct);
        Assert.Contains("/api/v1/agent/ask/stream", js);
    }
}
