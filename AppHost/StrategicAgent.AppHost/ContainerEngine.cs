using System.Diagnostics;

namespace StrategicAgent.AppHost;

/// <summary>
/// Asks the container engine whether it runs (<c>docker info</c>, or the runtime named by
/// ASPIRE_CONTAINER_RUNTIME). Without an engine Aspire's container resources never start and
/// everything waiting for them waits forever, so the mode is chosen before the model is built.
/// </summary>
public static class ContainerEngine
{
    public static bool IsRunning(string? runtime, TimeSpan timeout)
    {
        var exe = string.IsNullOrWhiteSpace(runtime) ? "docker" : runtime;
        try
        {
            var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("info");
            psi.ArgumentList.Add("--format");
            psi.ArgumentList.Add("{{.ServerVersion}}");
            using var p = Process.Start(psi);
            if (p is null)
            {
                return false;
            }
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                return false;
            }
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No such program.
            return false;
        }
    }
}
