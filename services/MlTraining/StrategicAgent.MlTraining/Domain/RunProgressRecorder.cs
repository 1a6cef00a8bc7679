using Microsoft.Extensions.Logging;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>
/// Records a run's progress in its row (<see cref="ITrainingStore.SetProgressAsync"/>), in the order
/// reported, and passes it on to an in-process listener when there is one. <see cref="IProgress{T}.Report"/>
/// is synchronous, so writes are chained; <see cref="FlushAsync"/> waits for them before the runner
/// writes the run's outcome. A failed write is logged, not thrown: progress informs whoever polls the
/// run, the outcome the runner writes itself is what counts.
/// </summary>
internal sealed class RunProgressRecorder(
    ITrainingStore store, long runId, IProgress<TrainingProgress>? listener, ILogger logger) : IProgress<TrainingProgress>
{
    private readonly Lock _gate = new();
    private Task _writes = Task.CompletedTask;

    public void Report(TrainingProgress value)
    {
        listener?.Report(value);
        lock (_gate)
        {
            _writes = _writes.ContinueWith(_ => WriteAsync(value), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    public Task FlushAsync()
    {
        lock (_gate)
        {
            return _writes;
        }
    }

    private async Task WriteAsync(TrainingProgress value)
    {
        try
        {
            await store.SetProgressAsync(runId, value, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not record stage {Stage} of training run {RunId}", value.Stage, runId);
        }
    }
}
