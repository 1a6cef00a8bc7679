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

    /// <summary>A free loopback port (the OS picks it).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
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
