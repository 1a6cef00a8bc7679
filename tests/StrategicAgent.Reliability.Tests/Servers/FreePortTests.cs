using System.Diagnostics;
using System.Globalization;
using StrategicAgent.LocalServers;

namespace StrategicAgent.Reliability.Tests.Servers;

/// <summary>
/// <see cref="NativeProcess.FreePort"/>, which every test fixture and benchmark picks its servers' ports with while other test
/// assemblies do the same in parallel: picks lie below the kernel's ephemeral range (where outgoing connections take ports),
/// never repeat, and are held against other processes by a real flock that util-linux's <c>flock</c> cannot take.
/// </summary>
public sealed class FreePortTests
{
    [Fact]
    public void Picks_are_distinct_free_and_below_the_ephemeral_range()
    {
        var ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], CultureInfo.InvariantCulture);
        var ports = Enumerable.Range(0, 40).Select(_ => NativeProcess.FreePort()).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 20000, Math.Min(32000, ephemeralLow) - 1));
        Assert.All(ports, p => Assert.True(NativeProcess.IsPortFree(p), $"port {p} was handed out but something listens on it"));
    }

    [Fact]
    public async Task Another_process_cannot_take_a_picked_port_but_can_take_an_unheld_one()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = NativeProcess.FreePort();
        var reservation = Path.Combine(Path.GetTempPath(), "strategicagent-ports", port.ToString(CultureInfo.InvariantCulture));
        Assert.True(File.Exists(reservation));
        Assert.Equal(1, await FlockAsync(reservation, ct));

        // The control: the same tool takes a lock nobody holds, so the refusal above is the reservation's.
        var unheld = Path.Combine(Directory.CreateTempSubdirectory("sa-freeport-").FullName, "unheld");
        await File.WriteAllTextAsync(unheld, "", ct);
        Assert.Equal(0, await FlockAsync(unheld, ct));
    }

    private static async Task<int> FlockAsync(string path, CancellationToken ct)
    {
        // -n: fail at once (exit 1) instead of waiting when another open of the file holds the lock.
        using var flock = Process.Start(new ProcessStartInfo("flock", ["-n", "-x", path, "true"]))!;
        await flock.WaitForExitAsync(ct);
        return flock.ExitCode;
    }
}
