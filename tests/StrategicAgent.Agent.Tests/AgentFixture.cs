using System.Diagnostics;
using System.Reflection;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using StrategicAgent.Agent.Data;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.LocalServers;
using StrategicAgent.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(StrategicAgent.Agent.Tests.AgentFixture))]

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// Primary + replica with the Small demo data (reference date 2026-11-01), and — started on first
/// use — the real validation service as a separate process on a free gRPC port, reading the same
/// replica.
/// </summary>
public sealed class AgentFixture : DemoDataFixture
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Process? _validation;
    private string? _validationAddress;
    private NpgsqlDataSource? _replica;
    private NpgsqlDataSource? _primary;
    private NpgsqlDataSource? _primaryAsAgent;

    /// <summary>Noon of the reference date: "today" for every relative time window in the tests.</summary>
    public static DateTimeOffset Now { get; } = new(ReferenceDate.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);

    public const long Tenant = 1;

    public NpgsqlDataSource Replica => _replica ??= NpgsqlDataSource.Create(ReplicaConnectionString);

    /// <summary>The primary as the superuser: for the tests' own checks.</summary>
    public NpgsqlDataSource Primary => _primary ??= NpgsqlDataSource.Create(PrimaryConnectionString);

    /// <summary>The primary as sa_agent, as the agent logs in: what the loop's memory and conversations use here.</summary>
    public NpgsqlDataSource PrimaryAsAgent => _primaryAsAgent ??= NpgsqlDataSource.Create(PrimaryAgentConnectionString);

    public static FakeTimeProvider Clock() => new(Now);

    public IOptions<AgentOptions> LoopOptions(Action<AgentOptions>? configure = null)
    {
        var o = new AgentOptions();
        configure?.Invoke(o);
        return Microsoft.Extensions.Options.Options.Create(o);
    }

    public ReplicaQueryExecutor Executor(IOptions<AgentOptions>? o = null) => new(Replica, o ?? LoopOptions());

    public VocabularySource Vocabulary() => new(Replica, LoopOptions(), Clock());

    /// <summary>Hand-written SQL's rows on the replica, as its owner (the SQL names the tenant itself), in UTC.</summary>
    public async Task<List<object?[]>> RowsAsOwnerAsync(string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ReplicaConnectionString + ";Timezone=UTC");
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(ct))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The validation service's gRPC address (started on first call).</summary>
    public async Task<string> ValidationAddressAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_validationAddress is not null)
            {
                return _validationAddress;
            }
            var dll = Environment.GetEnvironmentVariable("SA_VALIDATION_DLL") is { Length: > 0 } env
                ? env
                : typeof(AgentFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "ValidationServiceDll").Value!;
            if (!File.Exists(dll))
            {
                throw new InvalidOperationException(
                    $"The validation service is not built at {dll}: build StrategicAgent.sln (or services/Validation/StrategicAgent.Validation with the same SA_ARTIFACTS), or set SA_VALIDATION_DLL.");
            }
            var grpcPort = NativeProcess.FreePort();
            var httpPort = NativeProcess.FreePort();
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(dll)!,
            };
            psi.ArgumentList.Add(dll);
            psi.Environment["DOTNET_ENVIRONMENT"] = "Development";
            psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            psi.Environment["Endpoints__GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            psi.Environment["Endpoints__HttpPort"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            psi.Environment["ConnectionStrings__replica"] = ReplicaConnectionString;
            psi.Environment["Auth__PublicKey"] = TestTokens.PublicKeyPem;
            psi.Environment["Logging__LogLevel__Default"] = "Warning";
            var p = Process.Start(psi)!;
            var log = new System.Text.StringBuilder();
            p.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            p.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            _validation = p;
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (p.HasExited)
                {
                    throw new InvalidOperationException($"The validation service exited with {p.ExitCode}:\n{log}");
                }
                try
                {
                    using var tcp = new TcpClient();
                    await tcp.ConnectAsync("127.0.0.1", grpcPort);
                    _validationAddress = $"http://127.0.0.1:{grpcPort}";
                    return _validationAddress;
                }
                catch (SocketException)
                {
                    await Task.Delay(100);
                }
            }
            throw new TimeoutException($"The validation service did not listen on {grpcPort} within 60 s:\n{log}");
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_validation is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        _validation?.Dispose();
        if (_replica is not null)
        {
            await _replica.DisposeAsync();
        }
        if (_primary is not null)
        {
            await _primary.DisposeAsync();
        }
        if (_primaryAsAgent is not null)
        {
            await _primaryAsAgent.DisposeAsync();
        }
        await base.DisposeAsync();
    }
}
