using System.Diagnostics;
using Microsoft.Playwright;
using StrategicAgent.Testing;
using StrategicAgent.Web.Gateway;
using Xunit;

namespace StrategicAgent.Web.Tests;

/// <summary>
/// A gateway 503 with <c>Retry-After</c> (the prediction service still loading a tenant's data) in a real
/// browser: the web UI's real Program on Kestrel, pointed at a <see cref="FakeGateway"/> on a real socket
/// that answers 503 + <c>Retry-After: 1</c> on demand. Each call's budget is <c>Web:CallTimeout</c> = 4 s here.
/// </summary>
public sealed class RetryAfterTests(WebSystem system) : IAsyncLifetime
{
    private const string Key = "sa_retry-after-test-key";
    private FakeGateway _gateway = default!;
    private ServiceUnderTest<GatewayClient> _web = default!;

    private string WebUrl => $"http://127.0.0.1:{_web.HttpPort}";

    public async ValueTask InitializeAsync()
    {
        _gateway = await FakeGateway.StartAsync(Key);
        _web = new ServiceUnderTest<GatewayClient>(new Dictionary<string, string?>
        {
            ["Web:GatewayUrl"] = _gateway.Url,
            ["Web:CallTimeout"] = "00:00:04",
        }).Start();
    }

    [Fact]
    public async Task A_503_with_Retry_After_is_asked_again_after_that_wait_and_the_page_shows_the_data()
    {
        _gateway.Reset(unavailableTimes: 2, retryAfterSeconds: 1);
        await using var ui = await UiSession.SignedInAsync(system, Key, webUrl: WebUrl);
        await ui.OpenAsync("/alerts", "alerts");

        var alert = ui.Page.GetByTestId("alert");
        await Assertions.Expect(alert).ToHaveCountAsync(1);
        await Assertions.Expect(alert).ToContainTextAsync(FakeGateway.AlertAction);
        await Assertions.Expect(ui.Page.GetByTestId("problem")).ToHaveCountAsync(0);
        var calls = _gateway.AlertsCalls;
        Assert.Equal(new[] { 503, 503, 200 }, calls.Select(c => c.Status));
        // Each retry waited the Retry-After second (a little less: clocks of two hosts' requests), not at once.
        Assert.All(calls.Zip(calls.Skip(1)), pair =>
            Assert.True(Stopwatch.GetElapsedTime(pair.First.Timestamp, pair.Second.Timestamp) >= TimeSpan.FromMilliseconds(900),
                $"retried after {Stopwatch.GetElapsedTime(pair.First.Timestamp, pair.Second.Timestamp).TotalMilliseconds:0} ms"));
        ui.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task When_the_retries_run_out_of_time_the_page_shows_the_gateways_message_with_its_trace_id()
    {
        _gateway.Reset(unavailableTimes: int.MaxValue, retryAfterSeconds: 1);
        await using var ui = await UiSession.SignedInAsync(system, Key, webUrl: WebUrl);
        var page = ui.Page;
        await ui.OpenAsync("/alerts", "alerts");

        var problem = page.GetByTestId("problem");
        await Assertions.Expect(problem).ToContainTextAsync($"Service unavailable (503): {FakeGateway.LoadingDetail}");
        var calls = _gateway.AlertsCalls;
        Assert.All(calls, c => Assert.Equal(503, c.Status));
        // Asked again about once a second until the 4 s budget ran out: not once, not in a tight loop.
        Assert.InRange(calls.Count, 2, 6);
        // The trace id shown is the one of the gateway's last answer, to quote in a report.
        await Assertions.Expect(problem.GetByTestId("trace-id")).ToHaveTextAsync(calls[^1].TraceId);
        await Assertions.Expect(page.GetByTestId("alert")).ToHaveCountAsync(0);

        // A 503 without Retry-After (a service down, not loading) is not waited on: shown after one call.
        _gateway.Reset(unavailableTimes: int.MaxValue, retryAfterSeconds: null);
        await problem.GetByRole(AriaRole.Button, new() { Name = "Try again" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("alerts")).ToHaveAttributeAsync("data-ready", "2");
        var again = Assert.Single(_gateway.AlertsCalls);
        await Assertions.Expect(problem.GetByTestId("trace-id")).ToHaveTextAsync(again.TraceId);
        ui.AssertNoConsoleErrors();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _gateway.DisposeAsync();
    }
}
