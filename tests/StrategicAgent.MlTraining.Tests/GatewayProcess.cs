using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using StrategicAgent.LocalServers;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>
/// The real gateway executable (built next to this test assembly) as a child process on a free
/// port, so a test can kill it the way a node failure would (SIGKILL, no shutdown).
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var port = NativeProcess.FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "StrategicAgent.Gateway.dll");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        // Its own appsettings.json (this directory holds several services' copies).
        psi.ArgumentList.Add("--contentRoot");
        psi.ArgumentList.Add(ServiceDirectory("Gateway"));
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty;
        psi.Environment["Endpoints__HttpPort"] = port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        // It mints the caller tokens the training service verifies (the test key pair).
        foreach (var (k, v) in StrategicAgent.Testing.TestTokens.GatewaySettings)
        {
            psi.Environment[k.Replace(":", "__", StringComparison.Ordinal)] = v;
        }
        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the gateway process.");
        var gateway = new GatewayProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with {process.ExitCode} before it answered:\n{gateway.Output}");
            }
            try
            {
                // /alive answers once Kestrel listens (readiness would wait for every downstream service).
                if ((await http.GetAsync("alive", ct)).IsSuccessStatusCode)
                {
                    return gateway;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                await gateway.DisposeAsync();
                throw new TimeoutException($"The gateway did not answer /alive within 90 s:\n{gateway.Output}");
            }
            await Task.Delay(200, ct);
        }
    }

    public HttpClient Client(string apiKey)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return http;
    }

    /// <summary>SIGKILL: no graceful shutdown, nothing flushed — as when a node dies.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>services/&lt;service&gt;/StrategicAgent.&lt;service&gt; in this checkout.</summary>
    public static string ServiceDirectory(string service)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StrategicAgent.sln")))
            {
                return Path.Combine(dir.FullName, "services", service, "StrategicAgent." + service);
            }
        }
        throw new InvalidOperationException("StrategicAgent.sln not found above " + AppContext.BaseDirectory);
    }
}
