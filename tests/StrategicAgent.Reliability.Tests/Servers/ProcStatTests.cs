using System.Diagnostics;
using StrategicAgent.LocalServers;

namespace StrategicAgent.Reliability.Tests.Servers;

/// <summary>
/// <see cref="ProcStat"/>, which the run-stop, fault and web UI helpers and the benchmarks' CPU meters read processes with, on real processes: a child
/// whose command name holds spaces and parentheses (the fields are counted after the last one), its parent, its state
/// while it sleeps and once reaped, and CPU time that agrees with the runtime's own reading while this process works.
/// </summary>
public sealed class ProcStatTests
{
    [Fact]
    public async Task Reads_a_child_whose_name_holds_spaces_and_parentheses_through_its_life()
    {
        var dir = Directory.CreateTempSubdirectory("sa-procstat-");
        // The kernel's command name (comm) is the script's file name: "a b) (c" must not shift the fields.
        var script = Path.Combine(dir.FullName, "a b) (c");
        await File.WriteAllTextAsync(script, "#!/bin/sh\nsleep 30\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var psi = new ProcessStartInfo(script);
        using var child = Process.Start(psi)!;
        try
        {
            // The shell running the script keeps the script's name as its comm: the case this test is about.
            Assert.Equal("a b) (c", (await File.ReadAllTextAsync($"/proc/{child.Id}/comm", TestContext.Current.CancellationToken)).TrimEnd('\n'));
            var stat = ProcStat.Read(child.Id);
            Assert.Equal(Environment.ProcessId, stat.ParentPid);
            // Alive: running, sleeping, or in a disk wait while the shell pages in the script (D, seen in CI) — never a zombie.
            Assert.Contains(stat.State, new[] { "R", "S", "D" });
            Assert.True(stat.StartTicks > 0);
            Assert.Equal(stat.StartTicks, stat.Field(22));
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            dir.Delete(recursive: true);
        }
        // Killed and reaped (the runtime reaps the children it started): the entry is gone.
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Null(ProcStat.TryRead(child.Id));
        Assert.ThrowsAny<IOException>(() => ProcStat.Read(child.Id));
    }

    [Fact]
    public void Cpu_time_is_user_plus_system_time_and_grows_while_this_process_works()
    {
        using var self = Process.GetCurrentProcess();
        var before = ProcStat.Read(Environment.ProcessId).CpuMs;
        // Work until the runtime's own reading of the same counters (Process.TotalProcessorTime, parsed by .NET) has grown
        // by 200 ms, however loaded the machine is.
        var start = self.TotalProcessorTime;
        var x = 0UL;
        while ((self.TotalProcessorTime - start).TotalMilliseconds < 200)
        {
            for (var i = 0; i < 100_000; i++)
            {
                x += (ulong)i * 31;
            }
            self.Refresh();
        }
        var after = ProcStat.Read(Environment.ProcessId).CpuMs;
        Assert.True(after - before >= 150, $"CPU {before} ms → {after} ms while the runtime counted 200 ms ({x})");
    }
}
