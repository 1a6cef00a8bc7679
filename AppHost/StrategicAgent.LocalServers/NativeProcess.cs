using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace StrategicAgent.LocalServers;

/// <summary>Process helpers: run as another user, send POSIX signals, wait for ports.</summary>
public static partial class NativeProcess
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>
    /// PostgreSQL refuses to run as root: when we are root, run it as the <c>postgres</c> user
    /// through <c>setpriv</c>, which execs in place (the process tree stays flat).
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Arguments) AsPostgresUser(string exe, IEnumerable<string> args)
    {
        if (!IsRoot)
        {
            return (exe, args.ToList());
        }
        var wrapped = new List<string> { "--reuid=postgres", "--regid=postgres", "--init-groups", exe };
        wrapped.AddRange(args);
        return ("/usr/bin/setpriv", wrapped);
    }

    /// <summary>Runs a command to completion; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> args, CancellationToken ct, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        var output = await stdout + await stderr;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{fileName} {string.Join(' ', psi.ArgumentList)}' failed with exit code {p.ExitCode}: {output.Trim()}");
        }
        return output;
    }

    public static bool IsPortFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Throws, naming the port, what it is for and the setting that changes it, when the port is taken.</summary>
    public static void EnsurePortFree(int port, string what, string setting)
    {
        if (port is <= 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, $"Port {port} for {what} is not a valid TCP port; set {setting} to a value between 1 and 65535.");
        }
        if (!IsPortFree(port))
        {
            throw new InvalidOperationException(
                $"Port {port} for {what} is already in use (is another StrategicAgent run or another server listening there?). " +
                $"Stop it, or choose another port with {setting}.");
        }
    }

    /// <summary>
    /// A free loopback port for a server about to start, reserved for this process until it exits.
    /// Tests and benchmarks start many servers at once from several processes; a port the OS hands out
    /// for a bind to 0 lies in the ephemeral range, where another process's pick or any outgoing
    /// connection can take it between the pick and the server's bind (a CI run lost a whole test
    /// assembly that way). So the pick is made below the ephemeral range, and an exclusive lock on
    /// <c>/tmp/strategicagent-ports/PORT</c> (flock, released by the kernel when the process ends)
    /// keeps every other process that picks through here off it.
    /// </summary>
    public static int FreePort()
    {
        var (low, high) = ReservablePorts.Value;
        for (var attempt = 0; attempt < 200 && high - low >= 100; attempt++)
        {
            var port = Random.Shared.Next(low, high);
            if (TryReserve(port) && IsPortFree(port))
            {
                return port;
            }
        }
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var fallback = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return fallback;
    }

    private static readonly List<FileStream> Reservations = [];

    /// <summary>20000 up to the start of the kernel's ephemeral range (at most 32000).</summary>
    private static readonly Lazy<(int Low, int High)> ReservablePorts = new(() =>
    {
        var high = 32000;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            high = Math.Min(high, int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Not Linux, or no procfs: keep the default.
        }
        return (20000, high);
    });

    private static bool TryReserve(int port)
    {
        var directory = Path.Combine(Path.GetTempPath(), "strategicagent-ports");
        try
        {
            if (!Directory.Exists(directory))
            {
                // Shared by every user's runs, like /tmp itself (the umask would take the write bits away).
                File.SetUnixFileMode(Directory.CreateDirectory(directory).FullName, (UnixFileMode)0b1_111_111_111);
            }
            // FileShare.None takes flock(LOCK_EX | LOCK_NB): it fails while any other open of the file holds it.
            var reservation = new FileStream(Path.Combine(directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            lock (Reservations)
            {
                Reservations.Add(reservation);
            }
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static async Task WaitForPortAsync(int port, TimeSpan timeout, Func<string?> diagnostics, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port, ct);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, ct);
            }
        }
        throw new TimeoutException($"Nothing listened on port {port} within {timeout.TotalSeconds:0} s. {diagnostics()}");
    }
}
