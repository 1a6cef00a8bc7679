using System.Globalization;

namespace StrategicAgent.Reliability.Tests.Faults;

/// <summary>One call: when it started and ended, its HTTP status (0 = no answer) and what it served.</summary>
public readonly record struct Sample(DateTime Started, DateTime Ended, int Status, int Served)
{
    public double Ms => (Ended - Started).TotalMilliseconds;
    public bool Ok => Status is >= 200 and < 300;
}

/// <summary>
/// Callers that keep calling while a fault is injected, recording every call: what callers got during
/// the fault (statuses, slowest answer) and when they were served again.
/// </summary>
public sealed class Traffic : IAsyncDisposable
{
    private readonly List<Sample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _callers = [];

    public Traffic(string name, int callers, Func<CancellationToken, Task<(int Status, int Served)>> call, TimeSpan pause)
    {
        Name = name;
        for (var i = 0; i < callers; i++)
        {
            _callers.Add(Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var started = DateTime.UtcNow;
                    (int Status, int Served) r;
                    try
                    {
                        r = await call(_stop.Token);
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (TaskCanceledException)
                    {
                        r = (0, 0); // the client's own timeout
                    }
                    lock (_samples)
                    {
                        _samples.Add(new Sample(started, DateTime.UtcNow, r.Status, r.Served));
                    }
                    try
                    {
                        await Task.Delay(pause, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }));
        }
    }

    public string Name { get; }

    public Sample[] Samples()
    {
        lock (_samples)
        {
            return [.. _samples];
        }
    }

    /// <summary>Waits until every call that started after <paramref name="since"/> in the last <paramref name="steady"/> succeeded (and at least one did), or the timeout.</summary>
    public async Task<bool> WaitServedAsync(DateTime since, TimeSpan steady, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var window = Samples().Where(s => s.Started >= since && s.Started >= DateTime.UtcNow - steady).ToArray();
            if (window.Length > 0 && window.All(s => s.Ok) && Samples().Any(s => s.Started >= since && s.Ok && s.Started <= DateTime.UtcNow - steady))
            {
                return true;
            }
            await Task.Delay(250, ct);
        }
        return false;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    /// <summary>What callers got from <paramref name="faultAt"/> on, and when they were served again for good.</summary>
    public Outcome Summarize(DateTime faultAt)
    {
        var after = Samples().Where(s => s.Ended >= faultAt).OrderBy(s => s.Started).ToArray();
        var failures = after.Where(s => !s.Ok).ToArray();
        var lastFailure = failures.Length == 0 ? (DateTime?)null : failures.Max(s => s.Started);
        var recovered = lastFailure is null ? faultAt : after.FirstOrDefault(s => s.Ok && s.Started > lastFailure).Ended;
        var statuses = string.Join(", ", failures.GroupBy(s => s.Status).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{(g.Key == 0 ? "no answer" : g.Key.ToString(CultureInfo.InvariantCulture))} ×{g.Count()}")));
        return new Outcome(
            Name,
            after.Length,
            failures.Length,
            statuses.Length == 0 ? "all 2xx" : statuses,
            failures.Length == 0 ? 0 : failures.Max(s => s.Ms),
            after.Length == 0 ? 0 : after.Max(s => s.Ms),
            recovered == default ? null : (recovered - faultAt).TotalSeconds,
            Samples().Where(s => s.Ok).Sum(s => s.Served));
    }
}

/// <param name="RecoverySeconds">From the fault until the first success after the last failure (0: never interrupted; null: not recovered).</param>
/// <param name="Served">Everything the successful calls served (all samples, before the fault too).</param>
public sealed record Outcome(string Name, int Calls, int Failed, string FailedStatuses, double SlowestFailureMs, double SlowestMs, double? RecoverySeconds, int Served)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: {Calls} calls after the fault, {Failed} failed ({FailedStatuses}; slowest failure {SlowestFailureMs:0} ms, slowest call {SlowestMs:0} ms), served again after {(RecoverySeconds is { } r ? r.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never")}");
}
