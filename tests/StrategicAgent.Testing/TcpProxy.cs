using System.Net;
using System.Net.Sockets;

namespace StrategicAgent.Testing;

/// <summary>
/// A loopback TCP forwarder that can be switched off (existing connections cut, new ones
/// refused) and on again: a database blip for one client without touching the shared server.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _cts = new();
    private TcpListener? _listener;
    private Task? _accepting;

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
    }

    public int Port { get; }

    /// <summary>The connection string to the proxied server through this proxy (2 s connect timeout).</summary>
    public string Via(string connectionString) =>
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Port = Port, Timeout = 2, Pooling = true }.ConnectionString;
    public bool IsUp => _listener is not null;

    public void Start()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        var listener = _listener;
        _accepting = Task.Run(async () =>
        {
            while (!_cts.IsCancellationRequested)
            {
                TcpClient inbound;
                try
                {
                    inbound = await listener.AcceptTcpClientAsync(_cts.Token);
                }
                catch (Exception)
                {
                    return;
                }
                _ = Task.Run(() => PipeAsync(inbound));
            }
        });
    }

    /// <summary>Refuses new connections and cuts the open ones.</summary>
    public void Stop()
    {
        _listener?.Stop();
        _listener = null;
        lock (_open)
        {
            foreach (var c in _open)
            {
                c.Close();
            }
            _open.Clear();
        }
    }

    private async Task PipeAsync(TcpClient inbound)
    {
        using var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, _targetPort);
            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }
            using var a = inbound.GetStream();
            using var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, _cts.Token), b.CopyToAsync(a, _cts.Token));
        }
        catch (Exception)
        {
            // A cut connection ends here.
        }
        finally
        {
            inbound.Close();
        }
    }

    public ValueTask DisposeAsync()
    {
        _cts.Cancel();
        Stop();
        _cts.Dispose();
        return ValueTask.CompletedTask;
    }
}
