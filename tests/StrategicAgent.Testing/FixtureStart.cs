namespace StrategicAgent.Testing;

/// <summary>The start of a fixture that starts real processes (a whole system through the AppHost).</summary>
public static class FixtureStart
{
    /// <summary>
    /// Runs <paramref name="start"/>; when it throws, disposes <paramref name="fixture"/> before passing the failure on.
    /// xunit v3 does not dispose a fixture whose InitializeAsync threw (xunit/xunit#3124): without this a failed start (a
    /// resource never healthy, a port taken) left the whole system running — the orchestrator (dcp), its servers and
    /// services — until the test process exited, and dcp outlived even that while it tore them down.
    /// </summary>
    public static async ValueTask OrDisposeAsync(Func<Task> start, IAsyncDisposable fixture)
    {
        try
        {
            await start();
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }
}
