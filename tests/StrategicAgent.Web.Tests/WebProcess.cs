using System.Globalization;
using StrategicAgent.LocalServers;

namespace StrategicAgent.Web.Tests;

/// <summary>
/// A process's resident memory and CPU time, read from <c>/proc</c> (Linux only, as the system): what
/// <c>./bench.sh ui</c> prints for the web UI's process, for sizing its Deployment (deploy/README.md).
/// </summary>
public sealed class WebProcess(int pid)
{
    public int Pid { get; } = pid;

    /// <summary>Resident set size (VmRSS) in MB.</summary>
    public double RssMb =>
        long.Parse(File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;

    /// <summary>User + system CPU time so far, in ms.</summary>
    public double CpuMs => ProcStat.Read(Pid).CpuMs;

    /// <summary>
    /// <paramref name="pid"/> if its command line names <paramref name="assembly"/> and none of its descendants does,
    /// else the deepest descendant that does (a launcher such as <c>dotnet run</c> starts the service under it); null if none.
    /// </summary>
    public static WebProcess? Find(int pid, string assembly)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var p) && ProcStat.TryRead(p)?.ParentPid is { } parent)
            {
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(p);
            }
        }
        (int Pid, int Depth)? found = null;
        var todo = new Queue<(int Pid, int Depth)>([(pid, 0)]);
        while (todo.TryDequeue(out var p))
        {
            if (CommandLine(p.Pid).Contains(assembly, StringComparison.Ordinal) && (found is null || p.Depth > found.Value.Depth))
            {
                found = p;
            }
            foreach (var c in children.GetValueOrDefault(p.Pid) ?? [])
            {
                todo.Enqueue((c, p.Depth + 1));
            }
        }
        return found is { } f ? new WebProcess(f.Pid) : null;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
