using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StrategicAgent.AppHost;

/// <summary>The resource is started again when it exits without being asked to (<see cref="CrashRestarter"/>).</summary>
public sealed class RestartOnExitAnnotation : IResourceAnnotation;

public static class CrashRestartExtensions
{
    /// <summary>
    /// Restart policy "always, unless stopped" for a long-running resource: when its process exits
    /// without the orchestrator having stopped it (a crash, a kill, a server stopped from outside), it is
    /// started again after a back-off, as Kubernetes restarts a pod's container. A stop from the
    /// dashboard (or the AppHost shutting down) is respected.
    /// </summary>
    public static IResourceBuilder<T> WithRestartOnExit<T>(this IResourceBuilder<T> resource) where T : IResource =>
        resource.WithAnnotation(new RestartOnExitAnnotation());

    /// <summary>Registers the <see cref="CrashRestarter"/> (once).</summary>
    public static IDistributedApplicationBuilder AddCrashRestarts(this IDistributedApplicationBuilder builder)
    {
        builder.Services.AddHostedService<CrashRestarter>();
        return builder;
    }
}

/// <summary>
/// Aspire 13 does not restart an executable that exits (microsoft/aspire#1708): this watchdog does.
/// It follows every resource's state (<see cref="ResourceNotificationService"/>); when a resource with
/// <see cref="RestartOnExitAnnotation"/> reaches a terminal state (Exited, Finished, FailedToStart)
/// without passing through Stopping — the orchestrator's own stop — it runs the resource's start
/// command (<see cref="ResourceCommandService"/>, what the dashboard's Start button does). Back-off: 1 s,
/// doubling to <see cref="MaxBackoff"/>, reset once the resource has run for <see cref="StableAfter"/>.
/// </summary>
public sealed partial class CrashRestarter(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    IHostApplicationLifetime lifetime,
    ILogger<CrashRestarter> logger) : BackgroundService
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);

    private sealed class Tracked
    {
        public string? LastState;
        public bool StopRequested;
        public bool Restarting;
        /// <summary>It exited again while a restart was under way (it started and crashed at once).</summary>
        public bool ExitedDuringRestart;
        public TimeSpan Backoff = FirstBackoff;
        public DateTime RunningSince = DateTime.MaxValue;
        public int Restarts;
    }

    private readonly ConcurrentDictionary<string, Tracked> _resources = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in notifications.WatchAsync(stoppingToken))
            {
                if (!e.Resource.HasAnnotationOfType<RestartOnExitAnnotation>())
                {
                    continue;
                }
                var state = e.Snapshot.State?.Text;
                var t = _resources.GetOrAdd(e.ResourceId, _ => new Tracked());
                lock (t)
                {
                    if (state == t.LastState)
                    {
                        continue;
                    }
                    t.LastState = state;
                    if (state == KnownResourceStates.Running)
                    {
                        t.RunningSince = DateTime.UtcNow;
                        t.StopRequested = false;
                        continue;
                    }
                    if (state == KnownResourceStates.Stopping)
                    {
                        t.StopRequested = true; // the orchestrator stops it: the dashboard, or the AppHost shutting down
                        continue;
                    }
                    var terminal = state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart;
                    if (!terminal || t.StopRequested || lifetime.ApplicationStopping.IsCancellationRequested)
                    {
                        continue;
                    }
                    if (t.Restarting)
                    {
                        t.ExitedDuringRestart = true;
                        continue;
                    }
                    if (DateTime.UtcNow - t.RunningSince > StableAfter)
                    {
                        t.Backoff = FirstBackoff;
                    }
                    t.Restarting = true;
                    t.RunningSince = DateTime.MaxValue;
                }
                LogExited(logger, e.ResourceId, state!, e.Snapshot.ExitCode, t.Backoff.TotalSeconds);
                _ = RestartAsync(e.ResourceId, t, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RestartAsync(string resourceId, Tracked t, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                TimeSpan delay;
                lock (t)
                {
                    delay = t.Backoff;
                    t.Backoff = TimeSpan.FromTicks(Math.Min(t.Backoff.Ticks * 2, MaxBackoff.Ticks));
                }
                await Task.Delay(delay, ct);
                if (lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    return;
                }
                var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, ct);
                int restarts;
                lock (t)
                {
                    restarts = ++t.Restarts;
                }
                if (result.Success)
                {
                    LogRestarted(logger, resourceId, restarts);
                    return;
                }
                LogRestartFailed(logger, resourceId, result.Message ?? "no reason given");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogRestartError(logger, ex, resourceId);
        }
        finally
        {
            bool again;
            lock (t)
            {
                again = t.ExitedDuringRestart && !ct.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested;
                t.ExitedDuringRestart = false;
                t.Restarting = again;
            }
            if (again)
            {
                _ = RestartAsync(resourceId, t, ct);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Resource} stopped by itself ({State}, exit code {ExitCode}); starting it again in {Seconds} s")]
    private static partial void LogExited(ILogger logger, string resource, string state, int? exitCode, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Resource} started again (restart {Restarts})")]
    private static partial void LogRestarted(ILogger logger, string resource, int restarts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting {Resource} again failed: {Reason}; retrying")]
    private static partial void LogRestartFailed(ILogger logger, string resource, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Restarting {Resource} failed")]
    private static partial void LogRestartError(ILogger logger, Exception ex, string resource);
}
