using Microsoft.Extensions.Options;
using StrategicAgent.Prediction.Domain;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The forecast gate without a database: at most its permits compute at once; a request that gets no slot within its
/// wait is refused with a retry hint at once instead of waiting into its deadline; a freed slot goes to the next request;
/// a caller that gives up leaves no slot taken.
/// </summary>
public sealed class ForecastGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ForecastGate Gate(int permits) => new(Options.Create(new PredictionOptions { ForecastConcurrency = permits }));

    [Fact]
    public async Task A_request_that_gets_no_slot_in_its_wait_is_told_when_to_retry_and_the_next_slot_is_served()
    {
        var gate = Gate(1);
        var held = await gate.EnterAsync(TimeSpan.Zero, Ct);
        Assert.Equal(1, gate.InGate);

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var busy = await Assert.ThrowsAsync<ForecastBusyException>(async () => await gate.EnterAsync(TimeSpan.FromMilliseconds(200), Ct));
        var waited = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Assert.InRange(waited, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
        Assert.InRange(busy.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.Contains("retry in", busy.Message);
        Assert.Equal(1, gate.Rejected);
        Assert.Equal(1, gate.InGate); // the refused request left nothing behind

        // A waiter gets the slot as soon as it is released.
        var next = gate.EnterAsync(TimeSpan.FromSeconds(30), Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(next.IsCompleted);
        held.Dispose();
        using (await next)
        {
            Assert.Equal(1, gate.InGate);
        }
        Assert.Equal(0, gate.InGate);
    }

    [Fact]
    public async Task Permits_bound_the_computations_at_once_and_a_caller_that_gives_up_frees_its_place()
    {
        var gate = Gate(2);
        var a = await gate.EnterAsync(TimeSpan.Zero, Ct);
        var b = await gate.EnterAsync(TimeSpan.Zero, Ct);
        await Assert.ThrowsAsync<ForecastBusyException>(async () => await gate.EnterAsync(TimeSpan.Zero, Ct));

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await gate.EnterAsync(TimeSpan.FromSeconds(30), cancel.Token));
        Assert.Equal(2, gate.InGate);

        a.Dispose();
        a.Dispose(); // twice is once
        using (await gate.EnterAsync(TimeSpan.Zero, Ct))
        {
            await Assert.ThrowsAsync<ForecastBusyException>(async () => await gate.EnterAsync(TimeSpan.Zero, Ct));
        }
        b.Dispose();
        Assert.Equal(0, gate.InGate);
    }
}
