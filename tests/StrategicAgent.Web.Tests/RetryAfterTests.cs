using System.Diagnostics;
using Microsoft.Playwright;
using StrategicAgent.Testing;
using StrategicAgent.Web.Auth;
using StrategicAgent.Web.Gateway;
using Xunit;

namespace StrategicAgent.Web.Tests;

/// <summary>
/// A gateway 503 with <c>Retry-After</c> (the prediction service still loading a tenant's data) in a real
/// browser: the web UI's real Program on Kestrel, pointed at a <see cref="FakeGateway"/> on a real socket
/// that answers 503 + <c>Retry-After: 1</c> on demand. Each test sets the call budget (<c>Web:CallTimeout</c>): the
/// budget decides how often the UI asks again, so the assertions are on the spacing and the span of the calls, which a
/// loaded machine cannot change, not on a count that depends on how fast each call is answered.
/// </summary>
public sealed class RetryAfterTests(WebSystem system) : IAsyncLifetime
{
    private const string Key = "sa_retry-after-test-key";
    private FakeGateway _gateway = default!;
    private ServiceUnderTest<GatewayClient>? _web;

    private string WebUrl => $"http://127.0.0.1:{_web!.HttpPort}";

    public async ValueTask InitializeAsync() => _gateway = await FakeGateway.StartAsync(Key);

    private void StartWeb(TimeSpan callTimeout) =>
        _web = new ServiceUnderTest<GatewayClient>(new Dictionary<string, string?>
        {
            ["Web:GatewayUrl"] = _gateway.Url,
            ["Web:CallTimeout"] = callTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        }).Start();

    [Fact]
    public async Task A_503_with_Retry_After_is_asked_again_after_that_wait_and_the_page_shows_the_data()
    {
        // Two waits of 1 s fit a 10 s budget however slow the machine answers each call.
        StartWeb(TimeSpan.FromSeconds(10));
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
        var budget = TimeSpan.FromSeconds(8);
        StartWeb(budget);
        _gateway.Reset(unavailableTimes: int.MaxValue, retryAfterSeconds: 1);
        await using var ui = await UiSession.SignedInAsync(system, Key, webUrl: WebUrl);
        var page = ui.Page;
        await ui.OpenAsync("/alerts", "alerts");

        var problem = page.GetByTestId("problem");
        await Assertions.Expect(problem).ToContainTextAsync($"Service unavailable (503): {FakeGateway.LoadingDetail}");
        var calls = _gateway.AlertsCalls;
        Assert.All(calls, c => Assert.Equal(503, c.Status));
        // Asked again about once a second while a wait still ended within the 8 s budget: not once, not in a tight loop,
        // not past the budget.
        Assert.InRange(calls.Count, 2, 9);
        Assert.All(calls.Zip(calls.Skip(1)), pair =>
            Assert.True(Stopwatch.GetElapsedTime(pair.First.Timestamp, pair.Second.Timestamp) >= TimeSpan.FromMilliseconds(900),
                $"asked again after {Stopwatch.GetElapsedTime(pair.First.Timestamp, pair.Second.Timestamp).TotalMilliseconds:0} ms"));
        // The budget counts from the UI's first attempt and the last wait ends within it (so the last call starts ≤ 7 s
        // after the first); 1 s more for how much later the last call reached the gateway than the first on a loaded machine.
        Assert.True(Stopwatch.GetElapsedTime(calls[0].Timestamp, calls[^1].Timestamp) <= budget,
            $"asked again {Stopwatch.GetElapsedTime(calls[0].Timestamp, calls[^1].Timestamp).TotalSeconds:0.0} s after the first call, past the {budget.TotalSeconds} s budget");
        // The trace id shown is the one of the gateway's last answer, to quote in a report.
        await Assertions.Expect(problem.GetByTestId("trace-id")).ToHaveTextAsync(calls[^1].TraceId);
        await Assertions.Expect(page.GetByTestId("alert")).ToHaveCountAsync(0);

        // A 503 without Retry-After (the gateway sends it on every 503; a proxy in front of it may not) is not waited on:
        // shown after one call.
        _gateway.Reset(unavailableTimes: int.MaxValue, retryAfterSeconds: null);
        await problem.GetByRole(AriaRole.Button, new() { Name = "Try again" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("alerts")).ToHaveAttributeAsync("data-ready", "2");
        var again = Assert.Single(_gateway.AlertsCalls);
        await Assertions.Expect(problem.GetByTestId("trace-id")).ToHaveTextAsync(again.TraceId);
        ui.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_429_with_Retry_After_is_asked_again_but_a_request_that_changes_something_is_sent_once()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = new Uri(_gateway.Url + "/") };
        var client = new GatewayClient(http, new ApiKeyAccessor(new SignedIn(Key)),
            Microsoft.Extensions.Options.Options.Create(new StrategicAgent.Web.Extensions.WebOptions { CallTimeout = TimeSpan.FromSeconds(10) }));

        // A read that was told to slow down (429 + Retry-After: 1) is asked again after that second and gets its data.
        _gateway.Reset(unavailableTimes: 1, retryAfterSeconds: 1, unavailableStatus: 429);
        var alerts = await client.AlertsAsync(null, null, ct);
        Assert.Equal(FakeGateway.AlertAction, Assert.Single(alerts.Alerts).RecommendedAction);
        var calls = _gateway.AlertsCalls;
        Assert.Equal(new[] { 429, 200 }, calls.Select(c => c.Status));
        Assert.True(Stopwatch.GetElapsedTime(calls[0].Timestamp, calls[1].Timestamp) >= TimeSpan.FromMilliseconds(900));

        // A training request answered 503 + Retry-After is not sent again by the UI (a run queued twice): the 503 is shown
        // after one call, for the operator to decide.
        foreach (var status in new[] { 503, 429 })
        {
            _gateway.Reset(unavailableTimes: int.MaxValue, retryAfterSeconds: 1, unavailableStatus: status);
            var refused = await Assert.ThrowsAsync<GatewayException>(() => client.TrainAsync("rework", ct));
            Assert.Equal(status, refused.Problem.Status);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
            Assert.Single(_gateway.TrainCalls);
        }
    }

    /// <summary>A signed-in user holding <paramref name="key"/>, as the sign-in cookie gives the circuit.</summary>
    private sealed class SignedIn(string key) : Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider
    {
        public override Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState> GetAuthenticationStateAsync() =>
            Task.FromResult(new Microsoft.AspNetCore.Components.Authorization.AuthenticationState(new System.Security.Claims.ClaimsPrincipal(
                new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim(WebClaims.ApiKey, key)], "test"))));
    }

    public async ValueTask DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }
        await _gateway.DisposeAsync();
    }
}
