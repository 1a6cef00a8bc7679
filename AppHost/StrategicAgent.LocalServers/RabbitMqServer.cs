using System.Diagnostics;
using System.Text;

namespace StrategicAgent.LocalServers;

public sealed record RabbitMqServerOptions
{
    public required string BaseDirectory { get; init; }
    public required int Port { get; init; }
    public required int DistributionPort { get; init; }
    /// <summary>epmd's port; its own per run so we never share another user's epmd.</summary>
    public required int EpmdPort { get; init; }
    public string NodeName { get; init; } = "strategicagent";
    public string User { get; init; } = "guest";
    public string Password { get; init; } = "guest";
    public string ServerScript { get; init; } = RabbitMqServer.DefaultServerScript;
}

/// <summary>
/// An isolated RabbitMQ node from Debian's rabbitmq-server: its own HOME and cookie, node name,
/// ports, mnesia and log directories; foreground, stops on SIGTERM.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    public const string DefaultServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private readonly RabbitMqServerOptions _options;
    private Process? _process;
    private readonly StringBuilder _log = new();

    private RabbitMqServer(RabbitMqServerOptions options) => _options = options;

    public string ConnectionString => $"amqp://{_options.User}:{_options.Password}@127.0.0.1:{_options.Port}";

    public int Port => _options.Port;

    public static void CheckInstalled(string serverScript)
    {
        if (!File.Exists(serverScript))
        {
            throw new FileNotFoundException(
                $"RabbitMQ server script '{serverScript}' was not found. Install it (apt-get install rabbitmq-server) " +
                "or set StrategicAgent:RabbitMq:ServerScript / SA_RABBITMQ_SERVER.", serverScript);
        }
    }

    /// <summary>The environment that isolates the node; the AppHost passes the same to its executable resource.</summary>
    public static IReadOnlyDictionary<string, string> Environment(RabbitMqServerOptions o)
    {
        var home = Path.Combine(o.BaseDirectory, "home");
        return new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["RABBITMQ_NODENAME"] = $"{o.NodeName}@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = o.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = o.DistributionPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ERL_EPMD_PORT"] = o.EpmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Like AMQP, the Erlang distribution port and epmd listen on loopback only (epmd reads
            // ERL_EPMD_ADDRESS when the node starts it; the node's kernel takes inet_dist_use_interface).
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(o.BaseDirectory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(o.BaseDirectory, "log"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(o.BaseDirectory, "rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(o.BaseDirectory, "enabled_plugins"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(o.BaseDirectory, "rabbit.pid"),
        };
    }

    /// <summary>Creates the node's directories, cookie and config (idempotent).</summary>
    public static void Prepare(RabbitMqServerOptions o)
    {
        CheckInstalled(o.ServerScript);
        var home = Path.Combine(o.BaseDirectory, "home");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(Path.Combine(o.BaseDirectory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(o.BaseDirectory, "log"));
        var cookie = Path.Combine(home, ".erlang.cookie");
        if (!File.Exists(cookie))
        {
            File.WriteAllText(cookie, Convert.ToHexString(Guid.NewGuid().ToByteArray()));
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead);
        }
        // guest may connect from loopback only, which is all we use.
        File.WriteAllText(Path.Combine(o.BaseDirectory, "rabbitmq.conf"),
            $"""
            loopback_users.guest = true
            default_user = {o.User}
            default_pass = {o.Password}
            listeners.tcp.default = 127.0.0.1:{o.Port}
            """);
        File.WriteAllText(Path.Combine(o.BaseDirectory, "enabled_plugins"), "[].\n");
    }

    public static async Task<RabbitMqServer> StartAsync(RabbitMqServerOptions options, CancellationToken ct = default)
    {
        foreach (var port in new[] { options.Port, options.DistributionPort, options.EpmdPort })
        {
            if (!NativeProcess.IsPortFree(port))
            {
                throw new InvalidOperationException($"Port {port} for RabbitMQ is already in use; choose another port.");
            }
        }
        Prepare(options);
        var server = new RabbitMqServer(options);
        var psi = new ProcessStartInfo(options.ServerScript) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in Environment(options))
        {
            psi.Environment[k] = v;
        }
        server._process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start rabbitmq-server.");
        server._process.OutputDataReceived += (_, e) => { lock (server._log) { server._log.AppendLine(e.Data); } };
        server._process.ErrorDataReceived += (_, e) => { lock (server._log) { server._log.AppendLine(e.Data); } };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        await NativeProcess.WaitForPortAsync(options.Port, TimeSpan.FromSeconds(60),
            () => server._process.HasExited ? "rabbitmq-server exited: " + server.Log : server.Log, ct);
        return server;
    }

    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            NativeProcess.Signal(p.Id, NativeProcess.SIGTERM);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
            }
        }
        _process?.Dispose();
        // epmd outlives the node; it is ours (own port), so stop it too.
        await StopEpmdAsync(_options.EpmdPort);
    }

    public static async Task StopEpmdAsync(int epmdPort)
    {
        try
        {
            await NativeProcess.RunAsync("/usr/bin/epmd", ["-kill"], CancellationToken.None,
                new Dictionary<string, string> { ["ERL_EPMD_PORT"] = epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // No epmd on that port: nothing to stop.
        }
    }
}
