using System.Diagnostics;
using System.Globalization;
using StrategicAgent.LocalServers;

namespace StrategicAgent.Testing;

/// <summary>
/// The orchestrator (Aspire's DCP) processes an app started in this test process: the API server Aspire starts detached
/// with <c>--monitor &lt;this process&gt;</c>, the controllers of its session (they share its kubeconfig) and their process
/// monitors. Aspire leaves them to notice on their own that the app stopped or this process exited; after CI runs one
/// was still there at the end (".ci/run: Stopping leftover dcp"). A fixture takes them with <see cref="OfThisProcess"/>
/// before it disposes the app and calls <see cref="StopAsync"/> after: whatever did not exit within the grace is stopped,
/// and said.
/// </summary>
public sealed class Orchestrator
{
    private readonly HashSet<string> _kubeconfigs;
    private readonly Dictionary<int, long> _known; // pid → start ticks (a pid reused by another process is not ours)

    private Orchestrator(HashSet<string> kubeconfigs, Dictionary<int, long> known)
    {
        _kubeconfigs = kubeconfigs;
        _known = known;
    }

    /// <summary>The orchestrator processes of the apps this test process started (none when none runs).</summary>
    public static Orchestrator OfThisProcess()
    {
        var monitor = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var all = DcpProcesses();
        var kubeconfigs = all.Where(p => p.Args.Contains("start-apiserver") && Value(p.Args, "--monitor") == monitor)
            .Select(p => Value(p.Args, "--kubeconfig")).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var orchestrator = new Orchestrator(kubeconfigs, []);
        foreach (var p in orchestrator.Family(all))
        {
            orchestrator._known[p.Pid] = p.StartTicks;
        }
        return orchestrator;
    }

    /// <summary>
    /// Stops an app (<paramref name="stopApp"/>: its StopAsync and DisposeAsync), then whatever of its orchestrator has
    /// not exited 30 s later (<see cref="StopAsync"/>), even when the app's own stop failed. Returns how many
    /// orchestrator processes the app had and what had to be stopped ("" when nothing).
    /// </summary>
    public static async Task<(int Found, string Stopped)> StopAppAsync(Func<Task> stopApp)
    {
        var orchestrator = OfThisProcess();
        var stopped = "";
        try
        {
            await stopApp();
        }
        finally
        {
            stopped = await orchestrator.StopAsync(TimeSpan.FromSeconds(30));
        }
        return (orchestrator.Count, stopped);
    }

    /// <summary>How many orchestrator processes were found (the API server, its controllers, their process monitors).</summary>
    public int Count => _known.Count;

    /// <summary>
    /// Waits up to <paramref name="grace"/> for them to exit; then SIGTERM, and SIGKILL after 10 s more. Returns what had
    /// to be stopped ("" when everything exited by itself).
    /// </summary>
    public async Task<string> StopAsync(TimeSpan grace)
    {
        var left = await WaitGoneAsync(grace);
        if (left.Count == 0)
        {
            return "";
        }
        var described = string.Join(", ", left.Select(p => $"{p.Pid} (dcp {string.Join(' ', p.Args.Take(1))})"));
        Signal(left, kill: false);
        left = await WaitGoneAsync(TimeSpan.FromSeconds(10));
        Signal(left, kill: true);
        await WaitGoneAsync(TimeSpan.FromSeconds(5));
        return $"orchestrator processes still running {grace.TotalSeconds:0} s after the app was disposed, stopped: {described}";
    }

    private async Task<List<DcpProcess>> WaitGoneAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var left = Family(DcpProcesses());
            if (left.Count == 0 || deadline.Elapsed >= timeout)
            {
                return left;
            }
            await Task.Delay(250);
        }
    }

    private const int SigTerm = 15;
    private const int SigKill = 9;

    private static void Signal(List<DcpProcess> processes, bool kill)
    {
        foreach (var p in processes)
        {
            NativeProcess.Signal(p.Pid, kill ? SigKill : SigTerm); // false: exited meanwhile
        }
    }

    /// <summary>Ours: an API server of one of our kubeconfigs, a process sharing it, a known process (same start), and their descendants.</summary>
    private List<DcpProcess> Family(List<DcpProcess> all)
    {
        var family = all.Where(p => (Value(p.Args, "--kubeconfig") is { } k && _kubeconfigs.Contains(k))
                                    || (_known.TryGetValue(p.Pid, out var start) && start == p.StartTicks)).ToList();
        bool added;
        do
        {
            var pids = family.Select(p => p.Pid).ToHashSet();
            var children = all.Where(p => !pids.Contains(p.Pid) && pids.Contains(p.ParentPid)).ToList();
            family.AddRange(children);
            added = children.Count > 0;
        }
        while (added);
        return family;
    }

    private static string? Value(string[] args, string option)
    {
        var i = Array.IndexOf(args, option);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private sealed record DcpProcess(int Pid, int ParentPid, long StartTicks, string[] Args);

    private static List<DcpProcess> DcpProcesses()
    {
        var found = new List<DcpProcess>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() != "dcp")
                {
                    continue;
                }
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
                if (ProcStat.TryRead(pid) is { } stat)
                {
                    found.Add(new DcpProcess(pid, stat.ParentPid, stat.StartTicks, args));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile.
            }
        }
        return found;
    }
}
