namespace StrategicAgent.Testing;

/// <summary>The teardown every local-server fixture shares: stop what started, in order, then remove its scratch directory.</summary>
public static class ScratchServers
{
    /// <summary>
    /// Disposes the servers that started (null: never started, e.g. after a failed start), in the order given, then deletes
    /// <paramref name="root"/>; a directory the OS will not delete yet is left for it to clean (the servers are stopped).
    /// </summary>
    public static async ValueTask StopAsync(string? root, params IAsyncDisposable?[] servers)
    {
        foreach (var server in servers)
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
        if (root is null)
        {
            return;
        }
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
