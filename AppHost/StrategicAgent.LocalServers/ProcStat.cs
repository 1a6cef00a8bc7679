using System.Globalization;

namespace StrategicAgent.LocalServers;

/// <summary>
/// One process's <c>/proc/PID/stat</c> (Linux, as the system), parsed once: the fields after the command name, which
/// may itself hold spaces and parentheses (so the split starts after the last <c>)</c>). Reading a process that is
/// gone throws <see cref="IOException"/> (<see cref="FileNotFoundException"/> or, when it goes while being read,
/// <see cref="IOException"/> itself); <see cref="TryRead"/> answers null instead.
/// </summary>
public sealed class ProcStat
{
    // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK).
    private const double TicksPerSecond = 100;

    private readonly string[] _fields;

    private ProcStat(string[] fields) => _fields = fields;

    public static ProcStat Read(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return new ProcStat(stat[(stat.LastIndexOf(')') + 2)..].Split(' '));
    }

    /// <summary><see cref="Read"/>, or null when the process is gone meanwhile or not ours to read.</summary>
    public static ProcStat? TryRead(int pid)
    {
        try
        {
            return Read(pid);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Field 3: R, S, D, Z (a zombie: exited, not yet reaped), X (dead), …</summary>
    public string State => _fields[0];

    /// <summary>Field 4.</summary>
    public int ParentPid => int.Parse(_fields[1], CultureInfo.InvariantCulture);

    /// <summary>Fields 14 and 15, user + system time so far, in ms.</summary>
    public double CpuMs => (Field(14) + Field(15)) * 1000.0 / TicksPerSecond;

    /// <summary>Field 22, the start time in clock ticks since boot: with the pid, it names one process for good.</summary>
    public long StartTicks => Field(22);

    /// <summary>Field <paramref name="number"/> as proc(5) numbers them (1 is the pid), from 3 on.</summary>
    public long Field(int number) => long.Parse(_fields[number - 3], CultureInfo.InvariantCulture);
}
