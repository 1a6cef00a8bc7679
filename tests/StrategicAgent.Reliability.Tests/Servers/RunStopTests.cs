using System.Diagnostics;
using StrategicAgent.LocalServers;

namespace StrategicAgent.Reliability.Tests.Servers;

/// <summary>
/// <c>./run.sh stop</c> after the AppHost was killed: the servers it left (PostgreSQL, RabbitMQ and its
/// epmd, started through the real launchers) are stopped and nothing of the run is left running; and
/// the RabbitMQ node listens on loopback only, like everything else of a run.
/// </summary>
public sealed class RunStopTests(LeftServers run) : IClassFixture<LeftServers>
{
    [Fact]
    public void RabbitMQ_AMQP_distribution_and_epmd_listen_on_loopback_only()
    {
        var byPort = run.RabbitListeners.GroupBy(l => l.Port).ToDictionary(g => g.Key, g => g.Select(l => l.Address).ToList());
        foreach (var (port, what) in new[] { (run.Rabbit.Port, "AMQP"), (run.Rabbit.DistributionPort, "Erlang distribution"), (run.Rabbit.EpmdPort, "epmd") })
        {
            Assert.True(byPort.TryGetValue(port, out var addresses), $"{what}: nothing listened on {port}");
            Assert.All(addresses, a => Assert.True(a is "127.0.0.1" or "::1" or "::ffff:127.0.0.1", $"{what} listens on {a}:{port}"));
        }
    }

    [Fact]
    public async Task Run_sh_stop_after_a_killed_AppHost_stops_the_servers_it_left()
    {
        Assert.NotEmpty(run.ProcessesOfTheRun()); // the orphans are there to be stopped

        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(LeftServers.RepositoryRoot, "run.sh"));
        psi.ArgumentList.Add("stop");
        psi.Environment["SA_RUN_DIR"] = run.RunDirectory;
        psi.Environment["SA_RUN_DIR_FIXED"] = "1";
        psi.Environment["SA_ARTIFACTS"] = "run-stop-test"; // no service of this checkout's ./run.sh is a leftover of this run
        var ports = new[] { run.PostgresPort, run.Rabbit.Port, run.Rabbit.DistributionPort, run.Rabbit.EpmdPort };
        var listenersBefore = Owners(ports);
        Assert.NotEmpty(listenersBefore); // the left servers listen on the run's ports
        using var stop = Process.Start(psi)!;
        var stdout = stop.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = stop.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await stop.WaitForExitAsync(TestContext.Current.CancellationToken);
        var output = await stdout + await stderr;

        Assert.True(stop.ExitCode == 0, output);
        Assert.Contains("The AppHost is gone, but processes of its run", output);
        Assert.EndsWith("Stopped.", output.TrimEnd());
        Assert.Empty(run.ProcessesOfTheRun());
        Assert.False(IsRunning(run.PostmasterPid), "the postmaster still runs");
        Assert.False(Directory.Exists($"/proc/{run.RabbitPid}"), "the RabbitMQ node still runs");
        // PostgreSQL stopped cleanly (fast shutdown), not killed: it removed its own lock file.
        Assert.False(File.Exists(Path.Combine(run.PostgresData, "postmaster.pid")), "postmaster.pid is left: " + output);
        // None of the processes that listened on the run's ports before the stop still does. (Another process may have
        // taken a freed port since: test hosts running beside this one pick free ports too. That is not a leftover.)
        var stillListening = Owners(ports).Where(listenersBefore.Contains).ToList();
        Assert.True(stillListening.Count == 0, "still listening: " + string.Join(", ", stillListening.Select(o => $"pid {o.Pid} ({o.Command})")) + "\n" + output);
        Assert.False(File.Exists(Path.Combine(run.RunDirectory, "apphost.pid")), "the stale apphost.pid is left");

        // A second stop finds nothing to do.
        using var again = Process.Start(psi)!;
        var againOut = await again.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await again.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("No StrategicAgent run is active", againOut);
        Assert.DoesNotContain(Owners(ports), listenersBefore.Contains);
    }

    /// <summary>The processes listening on <paramref name="ports"/> (pid and start time identify one across pid reuse).</summary>
    private static HashSet<(int Pid, long StartTicks, string Command)> Owners(IReadOnlyCollection<int> ports) =>
        LeftServers.ListeningSockets(ports).Select(s => LeftServers.OwnerOf(s.Inode)).OfType<(int, long, string)>().ToHashSet();

    /// <summary>Alive, not a zombie: an exited postmaster whose new parent (init) has not reaped it yet keeps its /proc entry.</summary>
    private static bool IsRunning(int pid)
    {
        return ProcStat.TryRead(pid)?.State is { } state && state is not ("Z" or "X");
    }
}
