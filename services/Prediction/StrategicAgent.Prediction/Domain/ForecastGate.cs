using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace StrategicAgent.Prediction.Domain;

/// <summary>
/// A request the service cannot answer in time now, on purpose: the caller should retry after <see cref="RetryAfter"/>
/// (gRPC <c>Unavailable</c> with a <c>retry-after</c> trailer; the gateway makes it a 503 with <c>Retry-After</c>).
/// </summary>
public abstract class RetryLaterException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>Every forecast slot stayed taken while the request waited: retry after <see cref="RetryLaterException.RetryAfter"/>.</summary>
public sealed class ForecastBusyException(TimeSpan waited, int ahead, TimeSpan retryAfter)
    : RetryLaterException($"Epic forecasts are busy: {ahead} forecast request(s) ahead of this one, none finished within {waited.TotalSeconds:0.#} s; retry in {retryAfter.TotalSeconds:0} s.", retryAfter);

/// <summary>
/// Admission for the CPU-bound part of epic forecasts (the Monte Carlo and its model calls). Without it every concurrent
/// forecast shares the two cores at once (processor sharing), so under load each of them finishes late — 64 callers of 50
/// epics each took 25 s at p50, past the gateway's 10 s deadline, and a caller whose deadline had passed kept its share of
/// the CPU. With it at most <see cref="PredictionOptions.ForecastConcurrency"/> forecasts compute at once, each at full speed,
/// in arrival order; a request that gets no slot within its wait is answered <c>Unavailable</c> with a retry hint (the queue
/// ahead × the recent compute time per request) while its caller can still act on it, rather than a deadline.
/// </summary>
public sealed class ForecastGate
{
    private readonly SemaphoreSlim _slots;
    private readonly int _permits;
    private int _inGate;
    private long _rejected;
    // Mean compute time of one admitted request (exponentially weighted), for the retry hint.
    private double _meanMs = 500;
    private readonly Lock _meanLock = new();

    public ForecastGate(IOptions<PredictionOptions> options)
    {
        _permits = options.Value.ForecastConcurrency > 0 ? options.Value.ForecastConcurrency : Environment.ProcessorCount;
        _slots = new SemaphoreSlim(_permits, _permits);
    }

    /// <summary>Requests waiting for a slot or computing.</summary>
    public int InGate => Volatile.Read(ref _inGate);

    /// <summary>Requests answered <see cref="ForecastBusyException"/> since start.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>
    /// A slot, waited for at most <paramref name="wait"/>; dispose it when the computation is done. Throws
    /// <see cref="ForecastBusyException"/> when none frees up in time, and <see cref="OperationCanceledException"/> when
    /// <paramref name="ct"/> ends the wait.
    /// </summary>
    public async ValueTask<IDisposable> EnterAsync(TimeSpan wait, CancellationToken ct)
    {
        var ahead = Interlocked.Increment(ref _inGate) - 1;
        bool entered;
        try
        {
            entered = await _slots.WaitAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, ct);
        }
        catch
        {
            Interlocked.Decrement(ref _inGate);
            throw;
        }
        if (!entered)
        {
            var queued = Interlocked.Decrement(ref _inGate);
            Interlocked.Increment(ref _rejected);
            double mean;
            lock (_meanLock)
            {
                mean = _meanMs;
            }
            var seconds = Math.Ceiling(Math.Max(1, queued) * mean / _permits / 1000);
            throw new ForecastBusyException(wait, ahead, TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 30)));
        }
        return new Slot(this);
    }

    private void Exit(double computeMs)
    {
        lock (_meanLock)
        {
            _meanMs = 0.8 * _meanMs + 0.2 * computeMs;
        }
        _slots.Release();
        Interlocked.Decrement(ref _inGate);
    }

    private sealed class Slot(ForecastGate gate) : IDisposable
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Exit(Stopwatch.GetElapsedTime(_start).TotalMilliseconds);
            }
        }
    }
}
