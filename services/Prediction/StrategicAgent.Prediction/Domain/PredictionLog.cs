using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using System.Threading.Channels;

namespace StrategicAgent.Prediction.Domain;

/// <summary>One served prediction, on its way to <c>ml.ml_prediction_log</c>.</summary>
public sealed class PredictionLogEntry
{
    public required long ClientId { get; init; }
    public required string ModelName { get; init; }
    public required int ModelVersion { get; init; }
    public required string Key { get; init; }
    public required double Value { get; init; }
    public double? Confidence { get; init; }
    /// <summary>The feature row (described and serialised by the writer, off the request path).</summary>
    public object? Features { get; init; }
    /// <summary>Features with a value (missing numbers and empty strings not counted); set by the writer.</summary>
    public int FeatureCount { get; set; }
    /// <summary>The features as JSON (view column → value); set by the writer.</summary>
    public string? FeaturesJson { get; set; }
    public required double ResponseTimeMs { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    // Set by anomaly scoring in the writer.
    public double? AnomalyScore { get; set; }
    public bool IsAnomaly { get; set; }
    public string? Severity { get; set; }
}

public sealed class PredictionLogOptions
{
    public const string Section = "PredictionLog";

    /// <summary>Entries held in memory while the database is slow or away; beyond it new entries are dropped and counted.</summary>
    [Range(1, 10_000_000)] public int Capacity { get; set; } = 100_000;
    [Range(1, 100_000)] public int BatchSize { get; set; } = 1_000;
    /// <summary>How long the writer waits for a batch to fill before writing what it has.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>On shutdown, how long the writer keeps trying to flush what is buffered.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>
    /// Linux nice value of the writer's serialisation/scoring thread (0 = same priority as requests, 19 = lowest):
    /// it yields the cores to request threads when they compete.
    /// </summary>
    [Range(0, 19)] public int WriterNice { get; set; } = 10;
}

/// <summary>
/// The bounded buffer between the request path and the log writer. Enqueuing never blocks a
/// request: when the buffer is full the entry is dropped and counted (and only then).
/// </summary>
public sealed class PredictionLogQueue : IDisposable
{
    public const string MeterName = "StrategicAgent.Prediction";

    private readonly Channel<PredictionLogEntry> _channel;
    private readonly Meter _meter;
    private long _enqueued;
    private long _dropped;
    private long _written;
    private long _writeFailures;
    private long _alerts;
    private long _inFlight;
    private long _batches;

    public PredictionLogQueue(int capacity, IMeterFactory? meterFactory = null)
    {
        Capacity = capacity;
        _channel = Channel.CreateBounded<PredictionLogEntry>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then returns false instead of silently dropping
            SingleReader = true,
            SingleWriter = false,
        });
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("prediction_log.enqueued", () => Enqueued, description: "Predictions handed to the log writer.");
        _meter.CreateObservableCounter("prediction_log.written", () => Written, description: "Predictions written to ml.ml_prediction_log.");
        _meter.CreateObservableCounter("prediction_log.dropped", () => Dropped, description: "Predictions dropped because the log buffer was full.");
        _meter.CreateObservableCounter("prediction_log.batches", () => Batches, description: "Batches committed to ml.ml_prediction_log.");
        _meter.CreateObservableCounter("prediction_log.write_failures", () => WriteFailures, description: "Failed batch writes (each retried).");
        _meter.CreateObservableCounter("prediction_log.alerts", () => Alerts, description: "Anomaly alerts raised.");
        _meter.CreateObservableGauge("prediction_log.pending", () => Pending, description: "Predictions buffered or being written.");
    }

    public int Capacity { get; }
    public long Enqueued => Interlocked.Read(ref _enqueued);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Written => Interlocked.Read(ref _written);
    public long WriteFailures => Interlocked.Read(ref _writeFailures);
    public long Alerts => Interlocked.Read(ref _alerts);
    /// <summary>Batches committed.</summary>
    public long Batches => Interlocked.Read(ref _batches);
    /// <summary>Buffered plus taken by the writer but not yet committed.</summary>
    public long Pending => _channel.Reader.Count + Interlocked.Read(ref _inFlight);

    public ChannelReader<PredictionLogEntry> Reader => _channel.Reader;

    /// <summary>Hands an entry to the writer; false (and counted) when the buffer is full or closed.</summary>
    public bool TryEnqueue(PredictionLogEntry entry)
    {
        if (_channel.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _enqueued);
            return true;
        }
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>No more entries: the writer drains what is left and stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    public void MarkTaken(int count) => Interlocked.Add(ref _inFlight, count);
    public void MarkWritten(int count)
    {
        Interlocked.Add(ref _written, count);
        Interlocked.Add(ref _inFlight, -count);
        Interlocked.Increment(ref _batches);
    }
    /// <summary>Entries given up on (shutdown timeout, or rows the database rejects as invalid).</summary>
    public void MarkLost(int count)
    {
        Interlocked.Add(ref _dropped, count);
        Interlocked.Add(ref _inFlight, -count);
    }
    public void MarkWriteFailure() => Interlocked.Increment(ref _writeFailures);
    public void MarkAlerts(int count) => Interlocked.Add(ref _alerts, count);

    public void Dispose() => _meter.Dispose();
}
