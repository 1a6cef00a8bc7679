using System.Diagnostics;
using System.Globalization;
using StrategicAgent.LocalServers;
using StrategicAgent.Reliability.Tests.Install;

namespace StrategicAgent.Reliability.Tests.Servers;

/// <summary>
/// A run directory as <c>./run.sh</c> leaves it when its AppHost and the orchestrator were killed
/// (kill -9 of the whole process group, a closed terminal): a PostgreSQL server and a RabbitMQ node
/// (with its epmd) started through the AppHost's own launchers (<see cref="Launchers"/>), then the
/// launchers SIGKILLed so the servers run on as orphans, and an <c>apphost.pid</c> naming a process
/// that is gone. The sockets the servers listen on are recorded right after they start.
/// </summary>
public sealed class LeftServers : IAsyncLifetime
{
    public string RunDirectory { get; } = Directory.CreateTempSubdirectory("sa-runstop-").FullName;
    public string PostgresData => Path.Combine(RunDirectory, "data", "primary");
    public string RabbitBase => Path.Combine(RunDirectory, "data", "rabbitmq");
    public int PostgresPort { get; } = NativeProcess.FreePort();
    public RabbitMqServerOptions Rabbit { get; private set; } = null!;

    /// <summary>Listening TCP sockets of the RabbitMQ ports right after the node started: (port, local address).</summary>
    public IReadOnlyList<(int Port, string Address, long Inode)> RabbitListeners { get; private set; } = [];

    public int RabbitPid { get; private set; }
    public int PostmasterPid { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        File.SetUnixFileMode(RunDirectory, (UnixFileMode)0b111_101_101); // the postgres user walks through it
        var bin = Path.Combine(RunDirectory, "bin");
        var postgresLauncher = Launchers.WritePostgres(bin);
        var rabbitLauncher = Launchers.WriteRabbitMq(bin);

        var pg = new PostgresServerOptions { DataDirectory = PostgresData, Port = PostgresPort, Durable = false, LogicalReplication = false };
        await PostgresServer.Prepare(pg, ct);
        var (file, args) = PostgresServer.ServerArguments(pg);
        var pgLauncher = StartDetached(postgresLauncher, [file, .. args], new Dictionary<string, string>
        {
            [Launchers.PostgresDataVariable] = PostgresData,
            [Launchers.PortVariable] = PostgresPort.ToString(CultureInfo.InvariantCulture),
        });

        Rabbit = new RabbitMqServerOptions
        {
            BaseDirectory = RabbitBase,
            Port = NativeProcess.FreePort(),
            DistributionPort = NativeProcess.FreePort(),
            EpmdPort = NativeProcess.FreePort(),
            NodeName = "sastop" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        RabbitMqServer.Prepare(Rabbit);
        var env = new Dictionary<string, string>(RabbitMqServer.Environment(Rabbit))
        {
            [Launchers.PortVariable] = Rabbit.Port.ToString(CultureInfo.InvariantCulture),
        };
        var rabbitLauncherProcess = StartDetached(rabbitLauncher, [Rabbit.ServerScript], env);

        await PostgresServer.WaitUntilReadyAsync(PostgresServer.BuildConnectionString(PostgresPort, pg.Password, "postgres"),
            TimeSpan.FromMinutes(2), () => pgLauncher.HasExited ? "the PostgreSQL launcher exited: " + Log() : null, ct);
        await NativeProcess.WaitForPortAsync(Rabbit.Port, TimeSpan.FromMinutes(3), Log, ct);
        // The node is up; its distribution listener and epmd were opened before AMQP.
        RabbitListeners = ListeningSockets([Rabbit.Port, Rabbit.DistributionPort, Rabbit.EpmdPort]);
        PostmasterPid = int.Parse(File.ReadLines(Path.Combine(PostgresData, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        RabbitPid = int.Parse(File.ReadAllText(Path.Combine(RabbitBase, "rabbit.pid")).Trim(), CultureInfo.InvariantCulture);

        // The orchestrator is gone: the launchers die without stopping their servers.
        pgLauncher.Kill();
        rabbitLauncherProcess.Kill();
        await pgLauncher.WaitForExitAsync(ct);
        await rabbitLauncherProcess.WaitForExitAsync(ct);
        using (var gone = Process.Start("/bin/true")!)
        {
            await gone.WaitForExitAsync(ct);
            await File.WriteAllTextAsync(Path.Combine(RunDirectory, "apphost.pid"), gone.Id.ToString(CultureInfo.InvariantCulture) + "\n", ct);
        }
    }

    private string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    private string LogFile => Path.Combine(RunDirectory, "servers.log");

    /// <summary>Starts <paramref name="launcher"/> with its output in the run directory's log (no pipe to us).</summary>
    private Process StartDetached(string launcher, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("/bin/bash") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" >>\"$0\" 2>&1 </dev/null");
        psi.ArgumentList.Add(LogFile);
        psi.ArgumentList.Add(launcher);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + launcher);
    }

    /// <summary>Processes whose command line names the run directory or whose environment places a RabbitMQ node in it.</summary>
    public IReadOnlyList<string> ProcessesOfTheRun()
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var env = File.ReadAllText(Path.Combine(dir, "environ"));
                if (cmd.Contains(RunDirectory, StringComparison.Ordinal) || env.Contains("RABBITMQ_MNESIA_BASE=" + RunDirectory, StringComparison.Ordinal))
                {
                    found.Add($"{pid} {cmd.Trim()}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        return found;
    }

    /// <summary>Listening TCP sockets (IPv4 and IPv6) on <paramref name="ports"/>, from /proc/net, with the socket's inode.</summary>
    public static IReadOnlyList<(int Port, string Address, long Inode)> ListeningSockets(IReadOnlyCollection<int> ports)
    {
        var result = new List<(int, string, long)>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 4 || f[3] != "0A") // 0A = LISTEN
                {
                    continue;
                }
                var local = f[1].Split(':');
                var port = int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (ports.Contains(port))
                {
                    result.Add((port, Address(local[0]), f.Length > 9 ? long.Parse(f[9], CultureInfo.InvariantCulture) : 0));
                }
            }
        }
        return result;
    }

    /// <summary>
    /// The process holding socket <paramref name="inode"/> open, with its start time in clock ticks since boot
    /// (/proc/PID/stat field 22); null when no process holds it (any more).
    /// </summary>
    public static (int Pid, long StartTicks, string Command)? OwnerOf(long inode)
    {
        var link = $"socket:[{inode}]";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                if (!Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")).Any(fd => new FileInfo(fd).LinkTarget == link))
                {
                    continue;
                }
                var start = ProcStat.Read(pid).StartTicks;
                return (pid, start, File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        return null;
    }

    /// <summary>/proc/net's hex address (host byte order per 32-bit word) as text.</summary>
    private static string Address(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var i = 0; i < bytes.Length; i += 4)
        {
            Array.Reverse(bytes, i, 4);
        }
        return new System.Net.IPAddress(bytes).ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever a failed test left: stop it, so nothing of this run outlives the test.
        foreach (var entry in ProcessesOfTheRun())
        {
            NativeProcess.Signal(int.Parse(entry.Split(' ')[0], CultureInfo.InvariantCulture), 9);
        }
        await Task.Delay(500);
        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    public static string RepositoryRoot => FakeDebian.RepositoryRoot;
}
