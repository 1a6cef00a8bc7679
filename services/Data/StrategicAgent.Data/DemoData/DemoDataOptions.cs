namespace StrategicAgent.Data.DemoData;

/// <summary>How much demo data to generate. See docs/demo-data.md for the row counts.</summary>
public enum DemoDataSize
{
    /// <summary>3 tenants, ≈ 30k issues: tests and ML training in seconds.</summary>
    Small,

    /// <summary>5 tenants, ≈ 200k issues: the demo.</summary>
    Medium,

    /// <summary>8 tenants, ≥ 1M issues and ≥ 300k pull requests: benchmarks.</summary>
    Large,
}

/// <summary>What to generate. Same options → the same rows, byte for byte.</summary>
public sealed record DemoDataOptions
{
    public DemoDataSize Size { get; init; } = DemoDataSize.Small;

    public int Seed { get; init; } = 42;

    /// <summary>
    /// The day the data is generated "as of": every timestamp lies before midnight (UTC) that
    /// starts this day, and the history reaches about two years back from it.
    /// </summary>
    public DateOnly ReferenceDate { get; init; } = DateOnly.FromDateTime(DateTime.UtcNow);

    /// <summary>
    /// True (default): the whole load is one transaction — all or nothing, and a logical replica
    /// receives it when it commits. False: every COPY (one table, or one project's issues or pull
    /// requests) commits on its own, so a replica applies while the load goes on, the way an
    /// ingestion pipeline writes; a load that fails is truncated away again.
    /// </summary>
    public bool Atomic { get; init; } = true;

    /// <summary>The instant nothing may be later than: the reference date at 00:00 UTC.</summary>
    public DateTime AsOf => ReferenceDate.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    public static DemoDataSize ParseSize(string value) =>
        Enum.TryParse<DemoDataSize>(value, ignoreCase: true, out var size) && Enum.IsDefined(size)
            ? size
            : throw new ArgumentException($"Unknown demo-data size '{value}'; use one of: small, medium, large.", nameof(value));
}

/// <summary>What a load wrote.</summary>
public sealed record DemoDataSummary
{
    public required DemoDataOptions Options { get; init; }

    /// <summary>Rows written per table, in load order.</summary>
    public required IReadOnlyDictionary<string, long> Rows { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public long TotalRows => Rows.Values.Sum();

    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? TotalRows / Elapsed.TotalSeconds : 0;
}
