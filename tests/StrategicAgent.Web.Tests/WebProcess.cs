using System.Globalization;

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
    public double CpuMs
    {
        get
        {
            // Fields after the command name (which may hold spaces), from the 3rd: utime is the 14th field, stime the 15th.
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 1000.0 / TicksPerSecond;
        }
    }

    // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK).
    private const double TicksPerSecond = 100;

    /// <summary>
    /// <paramref name="pid"/> if its command line names <paramref name="assembly"/> and none of its descendants does,
    /// else the deepest descendant that does (a launcher such as <c>dotnet run</c> starts the service under it); null if none.
    /// </summary>
    public static WebProcess? Find(int pid, string assembly)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var p) && ParentOf(p) is { } parent)
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

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // gone meanwhile, or not ours to read
        }
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
