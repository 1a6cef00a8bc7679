using System.Net.Sockets;

namespace StrategicAgent.LocalServers;

/// <summary>
/// Small shell launchers the AppHost runs its local servers through. The orchestrator (DCP)
/// stops an executable with SIGTERM; for PostgreSQL that is a "smart" shutdown that waits for
/// every client to leave, so the PostgreSQL launcher turns TERM into INT (fast shutdown). The
/// RabbitMQ launcher stops the node and then the node's own epmd, a daemon that would otherwise
/// outlive it.
/// </summary>
public static class Launchers
{
    public const string PostgresFileName = "postgres-launch.sh";
    public const string RabbitMqFileName = "rabbitmq-launch.sh";

    /// <summary>Environment of a launcher: the server's port (it waits until it is free before starting).</summary>
    public const string PortVariable = "SA_LAUNCH_PORT";

    /// <summary>Environment of the PostgreSQL launcher: the data directory (a postmaster left running on it is stopped first).</summary>
    public const string PostgresDataVariable = "SA_LAUNCH_PGDATA";

    // Before a (re)start: a server the previous launcher left running — the launcher was killed, the
    // server was not — is stopped, and the port must be free (a killed server's sockets close with it;
    // another program's do not: after 30 s the server starts anyway and says why it cannot listen).
    private const string WaitForPort =
        """
        wait_for_port() {
          [ -n "${SA_LAUNCH_PORT:-}" ] || return 0
          for _ in $(seq 1 60); do
            (exec 3<>"/dev/tcp/127.0.0.1/$SA_LAUNCH_PORT") 2>/dev/null || return 0
            sleep 0.5
          done
          echo "Port $SA_LAUNCH_PORT is still in use after 30 s; starting anyway." >&2
        }
        stop_leftover() { # pid, pattern its command line must contain, signal
          local pid=$1
          [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
          tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 0
          echo "A server (pid $pid) from an earlier start still runs; stopping it first." >&2
          kill "-$3" "$pid" 2>/dev/null
          for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
        }
        """;

    private const string PostgresScript =
        """
        #!/bin/bash
        # Written by StrategicAgent.LocalServers. Runs "$@" (postgres) and turns TERM into INT:
        # SIGTERM is PostgreSQL's smart shutdown (waits for clients), SIGINT its fast shutdown.
        # A stale postmaster.pid (its process gone) is PostgreSQL's own to remove.
        """ + "\n" + WaitForPort + "\n" +
        """
        if [ -n "${SA_LAUNCH_PGDATA:-}" ] && [ -f "$SA_LAUNCH_PGDATA/postmaster.pid" ]; then
          stop_leftover "$(head -n 1 "$SA_LAUNCH_PGDATA/postmaster.pid")" "$SA_LAUNCH_PGDATA" INT
        fi
        wait_for_port
        "$@" &
        child=$!
        trap 'kill -INT "$child" 2>/dev/null' TERM INT HUP
        while kill -0 "$child" 2>/dev/null; do wait "$child"; done
        wait "$child"
        """;

    private const string RabbitMqScript =
        """
        #!/bin/bash
        # Written by StrategicAgent.LocalServers. Runs "$@" (rabbitmq-server) in the foreground,
        # forwards TERM/INT to it and, once it has stopped, stops its epmd (ERL_EPMD_PORT is ours).
        """ + "\n" + WaitForPort + "\n" +
        """
        if [ -n "${RABBITMQ_PID_FILE:-}" ] && [ -f "$RABBITMQ_PID_FILE" ]; then
          stop_leftover "$(head -n 1 "$RABBITMQ_PID_FILE")" "${RABBITMQ_MNESIA_BASE:-beam}" TERM
        fi
        wait_for_port
        "$@" &
        child=$!
        trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
        while kill -0 "$child" 2>/dev/null; do wait "$child"; done
        wait "$child"
        status=$?
        /usr/bin/epmd -kill >/dev/null 2>&1 || true
        exit $status
        """;

    /// <summary>Writes the PostgreSQL launcher into <paramref name="directory"/> and returns its path.</summary>
    public static string WritePostgres(string directory) => Write(directory, PostgresFileName, PostgresScript);

    /// <summary>Writes the RabbitMQ launcher into <paramref name="directory"/> and returns its path.</summary>
    public static string WriteRabbitMq(string directory) => Write(directory, RabbitMqFileName, RabbitMqScript);

    private static string Write(string directory, string fileName, string text)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, fileName);
        File.WriteAllText(path, text.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }
}

/// <summary>Readiness probes for the local servers (used as the AppHost's health checks).</summary>
public static class Probes
{
    /// <summary>Opens a connection and runs <c>SELECT 1</c>; throws when the server cannot answer.</summary>
    public static async Task PostgresAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new Npgsql.NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT 1", conn);
        await cmd.ExecuteScalarAsync(ct);
    }

    /// <summary>
    /// Speaks the first step of AMQP 0-9-1: sends the protocol header and expects a method frame
    /// (Connection.Start) back. A port that is merely open (a node still booting) does not pass.
    /// </summary>
    public static async Task AmqpAsync(string host, int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, ct);
        await using var stream = client.GetStream();
        await stream.WriteAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), ct);
        var buffer = new byte[1];
        var read = await stream.ReadAsync(buffer, ct);
        if (read != 1 || buffer[0] != 1)
        {
            throw new InvalidOperationException($"Port {port} answered, but not with an AMQP 0-9-1 Connection.Start frame.");
        }
    }
}
