using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace StrategicAgent.Prediction.Infrastructure;

/// <summary>
/// One dedicated thread for CPU-heavy background work (the prediction log's feature serialisation
/// and anomaly scoring), run at a lower OS scheduling priority: on Linux the thread alone gets
/// <c>nice</c> +<see cref="Nice"/> (<c>setpriority</c> on its thread id). On a machine with two
/// busy cores, a log batch otherwise takes a core for tens of milliseconds at the same priority as
/// the request threads and shows up in their tail latency; at nice 10 the scheduler gives the
/// request threads about ten times its share whenever they compete. Elsewhere it is simply a
/// dedicated thread.
/// </summary>
public sealed class LowPriorityWorker : IDisposable
{
    private const int PrioProcess = 0; // PRIO_PROCESS: with a thread id, Linux applies it to that thread only

    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource<bool> _lowered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LowPriorityWorker(string name, int nice)
    {
        Nice = nice;
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public int Nice { get; }

    /// <summary>True once the thread's priority was lowered (false: not Linux, or the call failed — the work still runs).</summary>
    public Task<bool> Lowered => _lowered.Task;

    /// <summary>Runs <paramref name="work"/> on the worker thread; exceptions surface in the returned task.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Run()
        {
            try
            {
                tcs.SetResult(work());
            }
            catch (Exception ex)
            {
                tcs.SetException(ex);
            }
        }
        try
        {
            _work.Add(Run);
        }
        catch (InvalidOperationException)
        {
            // Disposed: run inline rather than lose the work.
            Run();
        }
        return tcs.Task;
    }

    private void Loop()
    {
        _lowered.TrySetResult(TryLowerCurrentThread(Nice));
        foreach (var item in _work.GetConsumingEnumerable())
        {
            item();
        }
    }

    private static bool TryLowerCurrentThread(int nice)
    {
        if (!OperatingSystem.IsLinux() || nice <= 0)
        {
            return false;
        }
        try
        {
            return setpriority(PrioProcess, gettid(), nice) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        if (_thread.Join(TimeSpan.FromSeconds(5)))
        {
            _work.Dispose(); // only once the thread no longer reads it
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);

    [DllImport("libc")]
    private static extern int gettid();
}
