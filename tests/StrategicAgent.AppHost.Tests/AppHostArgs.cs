using System.Globalization;
using StrategicAgent.AppHost;
using StrategicAgent.LocalServers;

namespace StrategicAgent.AppHost.Tests;

/// <summary>
/// AppHost command-line settings for a test run: executables mode, a temporary run directory,
/// every port free (so a test never collides with a running demo), Small demo data, no fsync.
/// </summary>
public sealed class AppHostArgs : IDisposable
{
    public string RunDirectory { get; } = Directory.CreateTempSubdirectory("sa-apphost-").FullName;
    public Dictionary<string, int> Ports { get; } = [];
    public Dictionary<string, string> Settings { get; } = [];

    public AppHostArgs()
    {
        // The postgres user must be able to reach its data directory below this one.
        File.SetUnixFileMode(RunDirectory, (UnixFileMode)0b111_101_101);
        foreach (var property in typeof(PortSettings).GetProperties())
        {
            // The OS may hand out a just-released port again: keep them distinct.
            int port;
            do
            {
                port = NativeProcess.FreePort();
            }
            while (Ports.ContainsValue(port));
            Ports[property.Name] = port;
        }
        Settings["StrategicAgent:Infrastructure"] = "Executables";
        Settings["StrategicAgent:RunDirectory"] = RunDirectory;
        Settings["StrategicAgent:DemoData:Size"] = "Small";
        Settings["StrategicAgent:Postgres:Durable"] = "false";
        Settings[QuietHealthChecks] = "None";
    }

    /// <summary>
    /// The AppHost's health checks fail, with a stack trace each, until every resource has started ("Connection
    /// refused"): expected while a test system starts, and on the console they filled the last screen of a CI run
    /// that should show which test failed. Kept off the console only; other loggers still get them.
    /// </summary>
    public const string QuietHealthChecks = "Logging:Console:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks";

    public string RunInfoPath => Path.Combine(RunDirectory, "run-info.json");

    /// <summary>Ports first, then <see cref="Settings"/>: a setting given explicitly wins.</summary>
    public string[] ToArgs() =>
        Ports.Select(kv => $"StrategicAgent:Ports:{kv.Key}={kv.Value.ToString(CultureInfo.InvariantCulture)}")
            .Concat(Settings.Select(kv => $"{kv.Key}={kv.Value}"))
            .ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A server that did not stop keeps files open; the clean-stop assertions report it.
        }
    }
}
