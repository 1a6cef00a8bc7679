using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Prediction.Domain;

/// <summary>Request limits, risk thresholds and serving knobs (section <c>Prediction</c>).</summary>
public sealed class PredictionOptions : IValidatableObject
{
    public const string Section = "Prediction";

    [Range(1, 1000)] public int MaxEpicKeys { get; set; } = 50;
    [Range(1, 1000)] public int MaxIssueKeys { get; set; } = 100;
    [Range(1, 1000)] public int MaxPullRequestKeys { get; set; } = 50;
    [Range(1, 1000)] public int MaxUnifiedKeys { get; set; } = 50;

    /// <summary>Rework probability above which a PR is "high" risk.</summary>
    [Range(0.0, 1.0)] public double ReworkHighThreshold { get; set; } = 0.7;
    /// <summary>Rework probability above which a PR is "medium" risk.</summary>
    [Range(0.0, 1.0)] public double ReworkMediumThreshold { get; set; } = 0.4;

    /// <summary>How many contributing features a rework prediction lists.</summary>
    [Range(1, 20)] public int TopFeatures { get; set; } = 3;

    /// <summary>Statement timeout of a feature read on the replica.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan FeatureReadTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a feature row read from the replica is reused for the same tenant and key
    /// (0 turns the cache off). Features change when the replica does — seconds of staleness are
    /// well inside the replication and training cadence.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan FeatureCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    [Range(0, 10_000_000)] public int FeatureCacheSize { get; set; } = 100_000;

    /// <summary>
    /// How long a tenant-wide feature snapshot of a model serves (0 turns snapshots off). The
    /// feature views compute windows over a tenant's whole history, so reading every row of a
    /// tenant costs about as much as reading one; a snapshot turns single-key predictions into
    /// memory lookups. Expired snapshots keep serving while one refresh runs in the background.
    /// Keys not in the snapshot (e.g. created since) are read individually.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan TenantSnapshotTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a request waits for a tenant's first snapshot load before it is answered Unavailable with a retry
    /// hint (0: not at all). Keep it below the callers' deadline (the gateway's is 10 s), so a slow first load ends
    /// in a clear "retry in N s" rather than in a deadline.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan TenantSnapshotWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one snapshot load (its statement timeout too). The load runs on its own, never on a caller's token.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:30:00")]
    public TimeSpan TenantSnapshotLoadTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Tenants with more rows than this in a model's view are not snapshotted (memory bound).</summary>
    [Range(0, 100_000_000)] public int TenantSnapshotMaxRows { get; set; } = 500_000;

    /// <summary>
    /// Epic forecasts computing at once (the Monte Carlo is CPU-bound); 0 = one per processor. More requests wait in
    /// arrival order (<see cref="ForecastGate"/>).
    /// </summary>
    [Range(0, 256)] public int ForecastConcurrency { get; set; }

    /// <summary>
    /// How long a forecast request may wait in all — for the tenant's snapshots to load and for a forecast slot — before it
    /// is answered Unavailable with a retry hint. Keep it well below the callers' deadline (the gateway's is 10 s): the
    /// computation itself comes after it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ForecastWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Forecasts kept per tenant work-history snapshot (0 turns the cache off). A forecast is seeded, so the same
    /// snapshot, model versions, draws and seed give the same answer: it is computed once and served again while that
    /// snapshot serves. About 80 KB each at 10,000 draws (the sorted draws, for the odds of any date).
    /// </summary>
    [Range(0, 100_000)] public int ForecastCacheEntries { get; set; } = 2_000;

    /// <summary>How often the registry is polled for the deployed versions (a safety net for missed events).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RegistryPollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Kestrel's socket transport runs its I/O continuations inline on the socket's event thread
    /// instead of queueing them to the thread pool (one thread hop less per request). Safe here: no
    /// handler blocks. Measured with <c>bench prediction --compare</c> (docs/prediction.md).
    /// </summary>
    public bool InlineSocketScheduling { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ReworkMediumThreshold >= ReworkHighThreshold)
        {
            yield return new ValidationResult(
                $"Prediction:ReworkMediumThreshold ({ReworkMediumThreshold}) must be below Prediction:ReworkHighThreshold ({ReworkHighThreshold}).",
                [nameof(ReworkMediumThreshold), nameof(ReworkHighThreshold)]);
        }
    }
}
