using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using StrategicAgent.Prediction.Infrastructure;

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
    /// <summary>The feature row (described as JSON when the entry is spooled).</summary>
    public object? Features { get; init; }
    /// <summary>Features with a value (missing numbers and empty strings not counted); set when spooled.</summary>
    public int FeatureCount { get; set; }
    /// <summary>The features as JSON (view column → value); set when spooled.</summary>
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

    /// <summary>
    /// Where served predictions are spooled before they are written (write-ahead, on local disk; a
    /// restarted or another instance ships what a killed one left). Default (empty): a directory under
    /// the machine's temporary directory named after the log's database (host, port, database), so
    /// only instances writing to the same database share it. The AppHost uses the run's data
    /// directory; under Kubernetes an emptyDir volume (it survives container restarts).
    /// </summary>
    public string SpoolDirectory { get; set; } = "";

    /// <summary>A new spool segment after this many bytes; shipped segments are deleted.</summary>
    [Range(4096, 1L << 32)] public long SegmentBytes { get; set; } = 16 << 20;

    /// <summary>Entries spooled and not yet written; beyond it new entries are dropped and counted.</summary>
    [Range(1, 100_000_000)] public int Capacity { get; set; } = 1_000_000;
    [Range(1, 100_000)] public int BatchSize { get; set; } = 1_000;
    /// <summary>How long the writer waits for a batch to fill before writing what it has.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>On shutdown, how long the writer keeps writing what is spooled (what is left stays spooled for the next start).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>How often the writer looks for segments of dead instances in the spool directory.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan AdoptInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// Linux nice value of the writer's serialisation/scoring thread (0 = same priority as requests, 19 = lowest):
    /// it yields the cores to request threads when they compete.
    /// </summary>
    [Range(0, 19)] public int WriterNice { get; set; } = 10;
}

/// <summary>
/// The hand-off between the request path and the log writer: a request's entries are written to the
/// <see cref="PredictionLogSpool"/> (one positional write to local disk, before the response) and the
/// writer ships them from there. Enqueuing never waits for the database; when the spool holds
/// <see cref="Capacity"/> unwritten entries (or the disk refuses) the entries are dropped and counted.
/// </summary>
public sealed class PredictionLogQueue : IDisposable
{
    public const string MeterName = "StrategicAgent.Prediction";

    private readonly Meter _meter;
    private long _enqueued;
    private long _dropped;
    private long _written;
    private long _writtenOwn;
    private long _lostOwn;
    private long _writeFailures;
    private long _alerts;
    private long _batches;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static PredictionLogEntry[]? t_one;

    public PredictionLogQueue(PredictionLogSpool spool, int capacity, IMeterFactory? meterFactory = null)
    {
        Spool = spool;
        Capacity = capacity;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("prediction_log.enqueued", () => Enqueued, description: "Predictions handed to the log writer (spooled).");
        _meter.CreateObservableCounter("prediction_log.written", () => Written, description: "Predictions written to ml.ml_prediction_log.");
        _meter.CreateObservableCounter("prediction_log.dropped", () => Dropped, description: "Predictions dropped because the spool was full or refused the write.");
        _meter.CreateObservableCounter("prediction_log.batches", () => Batches, description: "Batches committed to ml.ml_prediction_log.");
        _meter.CreateObservableCounter("prediction_log.write_failures", () => WriteFailures, description: "Failed batch writes (each retried).");
        _meter.CreateObservableCounter("prediction_log.alerts", () => Alerts, description: "Anomaly alerts raised.");
        _meter.CreateObservableGauge("prediction_log.pending", () => Pending, description: "Predictions spooled and not yet written.");
    }

    public PredictionLogSpool Spool { get; }
    public int Capacity { get; }
    public long Enqueued => Interlocked.Read(ref _enqueued);
    public long Dropped => Interlocked.Read(ref _dropped);
    /// <summary>Rows written, including those of adopted segments (a dead instance's spool).</summary>
    public long Written => Interlocked.Read(ref _written);
    public long WriteFailures => Interlocked.Read(ref _writeFailures);
    public long Alerts => Interlocked.Read(ref _alerts);
    /// <summary>Batches committed.</summary>
    public long Batches => Interlocked.Read(ref _batches);
    /// <summary>Entries this instance spooled and has not written yet.</summary>
    public long Pending => Enqueued - Interlocked.Read(ref _writtenOwn) - Interlocked.Read(ref _lostOwn);

    /// <summary>Hands one entry to the writer; false (and counted) when the spool is full or closed.</summary>
    public bool TryEnqueue(PredictionLogEntry entry)
    {
        var one = t_one ??= new PredictionLogEntry[1];
        one[0] = entry;
        try
        {
            return TryEnqueue(one);
        }
        finally
        {
            one[0] = null!;
        }
    }

    /// <summary>
    /// Hands a request's entries to the writer in one spool write: once this returns true they
    /// survive a crash of the process. False (and counted as dropped) when the spool is full or closed.
    /// </summary>
    public bool TryEnqueue(IReadOnlyList<PredictionLogEntry> entries)
    {
        if (entries.Count == 0)
        {
            return true;
        }
        if (Pending + entries.Count > Capacity)
        {
            Interlocked.Add(ref _dropped, entries.Count);
            return false;
        }
        foreach (var e in entries)
        {
            if (e.FeaturesJson is null)
            {
                (e.FeaturesJson, e.FeatureCount) = FeatureLogFormat.Describe(e.Features);
            }
        }
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        PredictionLogCodec.Encode(entries, buffer);
        if (!Spool.TryAppend(buffer.WrittenSpan, entries.Count))
        {
            Interlocked.Add(ref _dropped, entries.Count);
            return false;
        }
        Interlocked.Add(ref _enqueued, entries.Count);
        return true;
    }

    /// <summary>No more entries: the writer writes what is spooled (within its shutdown timeout) and stops.</summary>
    public void Complete() => Spool.Close();

    public void MarkWritten(int count, bool own)
    {
        Interlocked.Add(ref _written, count);
        if (own)
        {
            Interlocked.Add(ref _writtenOwn, count);
        }
        Interlocked.Increment(ref _batches);
    }

    /// <summary>Entries given up on: rows the database rejects as invalid.</summary>
    public void MarkLost(int count, bool own)
    {
        Interlocked.Add(ref _dropped, count);
        if (own)
        {
            Interlocked.Add(ref _lostOwn, count);
        }
    }

    public void MarkWriteFailure() => Interlocked.Increment(ref _writeFailures);
    public void MarkAlerts(int count) => Interlocked.Add(ref _alerts, count);

    public void Dispose() => _meter.Dispose();
}
