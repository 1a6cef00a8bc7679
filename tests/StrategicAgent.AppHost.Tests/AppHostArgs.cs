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
    }

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
