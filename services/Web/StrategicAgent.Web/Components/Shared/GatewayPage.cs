using System.Diagnostics;
using Microsoft.AspNetCore.Components;
using StrategicAgent.Web.Gateway;

namespace StrategicAgent.Web.Components.Shared;

/// <summary>
/// A page that shows data from the gateway: calls it with the page's lifetime as cancellation,
/// turns failures into a readable <see cref="ApiProblem"/> (a refused key ends the session instead),
/// and records how long its data took (<see cref="LoadMs"/>, rendered as <c>data-load-ms</c> for
/// the UI benchmark: the browser's view time minus this is what the UI itself adds).
/// Two kinds of failure, shown in two places: the page's data load (<see cref="Problem"/>, at the top
/// with "Try again") and an action's (<see cref="Failure"/>, shown by the page where the action is).
/// </summary>
public abstract class GatewayPage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _life = new();

    [Inject] protected GatewayClient Gateway { get; set; } = default!;
    [Inject] protected NavigationManager Nav { get; set; } = default!;

    protected CancellationToken Life => _life.Token;

    /// <summary>Why the page's last data load (<see cref="LoadAsync"/>) failed; null after one that worked.</summary>
    protected ApiProblem? Problem { get; private set; }

    /// <summary>Why the last <see cref="TryAsync"/> failed (null after one that worked); the page shows it next to its action.</summary>
    protected ApiProblem? Failure { get; private set; }

    /// <summary>How long the page's last data load took (ms), gateway calls included.</summary>
    protected double? LoadMs { get; private set; }

    /// <summary>Bumped each time a load finishes: the page renders it as <c>data-ready</c>.</summary>
    protected int Ready { get; private set; }

    /// <summary>Runs <paramref name="call"/>; a failure sets <see cref="Failure"/> and returns false.</summary>
    protected async Task<bool> TryAsync(Func<CancellationToken, Task> call)
    {
        Failure = null;
        try
        {
            await call(Life);
            return true;
        }
        catch (GatewayException ex) when (ex.Problem.Status == 401)
        {
            Nav.NavigateTo("/account/session-ended", forceLoad: true);
            return false;
        }
        catch (GatewayException ex)
        {
            Failure = ex.Problem;
            return false;
        }
        catch (OperationCanceledException) when (!Life.IsCancellationRequested)
        {
            Failure = new ApiProblem(504, "Gateway timeout", "The gateway did not answer in time. Try again.", Activity.Current?.Id, null, null);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A page's data load: <see cref="TryAsync"/>, timed into <see cref="LoadMs"/>.</summary>
    protected async Task<bool> LoadAsync(Func<CancellationToken, Task> load)
    {
        Problem = null;
        var started = Stopwatch.GetTimestamp();
        var ok = await TryAsync(load);
        Problem = Failure;
        LoadMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Ready++;
        return ok;
    }

    protected string LoadMsText => LoadMs is { } ms ? ms.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "";

    public void Dispose()
    {
        _life.Cancel();
        _life.Dispose();
        GC.SuppressFinalize(this);
    }
}
