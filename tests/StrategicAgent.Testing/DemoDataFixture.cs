using StrategicAgent.Data.DemoData;

namespace StrategicAgent.Testing;

/// <summary>
/// <see cref="PostgresReplicaFixture"/> with the <c>Small</c> demo data set (seed 42, reference
/// date <see cref="ReferenceDate"/>) loaded into the primary, replicated and analysed on both.
/// Fixed seed and date make every test that uses it reproducible: same rows on every run.
/// Use: <c>[assembly: AssemblyFixture(typeof(DemoDataFixture))]</c>.
/// </summary>
public class DemoDataFixture : PostgresReplicaFixture
{
    public const int Seed = 42;

    /// <summary>The data set's "today": every timestamp is before 2026-11-01T00:00Z.</summary>
    public static DateOnly ReferenceDate { get; } = new(2026, 11, 1);

    /// <summary><see cref="ReferenceDate"/> at 00:00 UTC, the instant nothing is later than.</summary>
    public static DateTime AsOf { get; } = ReferenceDate.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    public static DemoDataOptions Options { get; } = new() { Size = DemoDataSize.Small, Seed = Seed, ReferenceDate = ReferenceDate };

    /// <summary>What was loaded (rows per table, time taken).</summary>
    public DemoDataSummary Summary { get; private set; } = null!;

    protected override async Task OnStartedAsync(CancellationToken ct)
    {
        Summary = await DemoDataGenerator.LoadAsync(PrimaryConnectionString, Options, progress: null, ct);
        await WaitForReplicaAsync(ct);
        await DemoDataGenerator.AnalyzeAsync(ReplicaConnectionString, ct);
    }
}
