using System.Buffers;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Prediction.Infrastructure;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The prediction log's spool on its own (no database): records round-trip, segments rotate and
/// are deleted once shipped, a stopped owner's segments are adopted only once its lock is free,
/// and a torn last record (a crash in the middle of a write) is skipped.
/// </summary>
public sealed class SpoolTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sa-spool-unit-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static PredictionLogEntry Entry(int i) => new()
    {
        ClientId = 1 + i % 3,
        ModelName = "complexity",
        ModelVersion = 4,
        Key = "PAY-" + i,
        Value = i * 0.5,
        Confidence = i % 2 == 0 ? 0.8 : null,
        FeaturesJson = $$"""{"i":{{i}},"text":"naïve 😀"}""",
        FeatureCount = 2,
        ResponseTimeMs = 0.25,
        CreatedAt = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero).AddSeconds(i),
    };

    private static byte[] Encode(params PredictionLogEntry[] entries)
    {
        var buffer = new ArrayBufferWriter<byte>();
        PredictionLogCodec.Encode(entries, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static List<PredictionLogEntry> Decode(SpoolBatch batch)
    {
        var entries = new List<PredictionLogEntry>();
        foreach (var r in batch.Records)
        {
            PredictionLogCodec.Decode(r.Payload, r.Count, entries);
        }
        return entries;
    }

    private static Task<long> FromStart(string segment, CancellationToken ct) => Task.FromResult(0L);

    [Fact]
    public void Entries_round_trip_through_the_codec()
    {
        var entries = Enumerable.Range(0, 5).Select(Entry).ToArray();
        var decoded = new List<PredictionLogEntry>();
        PredictionLogCodec.Decode(Encode(entries), entries.Length, decoded);
        Assert.Equal(entries.Length, decoded.Count);
        foreach (var (a, b) in entries.Zip(decoded))
        {
            Assert.Equal((a.ClientId, a.ModelName, a.ModelVersion, a.Key, a.Value, a.Confidence, a.FeaturesJson, a.FeatureCount, a.ResponseTimeMs, a.CreatedAt),
                (b.ClientId, b.ModelName, b.ModelVersion, b.Key, b.Value, b.Confidence, b.FeaturesJson, b.FeatureCount, b.ResponseTimeMs, b.CreatedAt));
        }
    }

    [Fact]
    public async Task Records_are_read_in_order_across_segments_and_shipped_segments_are_deleted()
    {
        using var spool = new PredictionLogSpool(_dir.FullName, segmentBytes: 1024);
        for (var i = 0; i < 60; i++)
        {
            Assert.True(spool.TryAppend(Encode(Entry(i)), 1));
        }
        Assert.True(_dir.GetFiles("*.seg").Length > 2, "60 records of ~120 bytes rotate 1 KB segments");
        var read = new List<PredictionLogEntry>();
        while (await spool.ReadAsync(25, FromStart, TestContext.Current.CancellationToken) is { } batch)
        {
            read.AddRange(Decode(batch));
            spool.Commit(batch);
        }
        Assert.Equal(Enumerable.Range(0, 60).Select(i => "PAY-" + i), read.Select(e => e.Key));
        Assert.Single(_dir.GetFiles("*.seg")); // only the active segment is left
    }

    [Fact]
    public async Task A_stopped_owners_segments_are_adopted_once_its_lock_is_free_and_a_torn_tail_is_skipped()
    {
        var first = new PredictionLogSpool(_dir.FullName, segmentBytes: 1 << 20);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(first.TryAppend(Encode(Entry(i), Entry(100 + i)), 2));
        }
        using var second = new PredictionLogSpool(_dir.FullName, segmentBytes: 1 << 20);
        Assert.Empty(second.AdoptOrphans()); // the first is alive: its segments are its own

        first.Dispose(); // stops without shipping (as a killed process would; the kernel drops its lock)
        var segment = Assert.Single(_dir.GetFiles("*.seg"), f => f.Length > 0);
        await using (var torn = new FileStream(segment.FullName, FileMode.Append))
        {
            // A crash in the middle of a write: a header that promises more than is there.
            await torn.WriteAsync(new byte[] { 0x53, 0x4C, 0x4F, 0x47, 1, 0, 0, 0, 200, 0, 0, 0, 1, 2, 3 }, TestContext.Current.CancellationToken);
        }

        Assert.Equal([segment.Name], second.AdoptOrphans());
        var read = new List<PredictionLogEntry>();
        var finished = false;
        while (await second.ReadAsync(1000, FromStart, TestContext.Current.CancellationToken) is { } batch)
        {
            read.AddRange(Decode(batch));
            finished |= batch.Finished;
            second.Commit(batch);
        }
        Assert.True(finished);
        Assert.Equal(20, read.Count);
        Assert.False(File.Exists(segment.FullName));
        Assert.Single(_dir.GetFiles("owner-*.lock")); // the dead owner's lock file is gone, the live one's stays
    }

    [Fact]
    public async Task An_adopted_segment_continues_where_the_database_says_it_stopped()
    {
        long secondRecord;
        using (var first = new PredictionLogSpool(_dir.FullName, segmentBytes: 1 << 20))
        {
            first.TryAppend(Encode(Entry(0)), 1);
            secondRecord = new FileInfo(Assert.Single(_dir.GetFiles("*.seg")).FullName).Length;
            first.TryAppend(Encode(Entry(1)), 1);
            first.TryAppend(Encode(Entry(2)), 1);
        }
        using var second = new PredictionLogSpool(_dir.FullName, segmentBytes: 1 << 20);
        second.AdoptOrphans();
        var batch = await second.ReadAsync(1000, (_, _) => Task.FromResult(secondRecord), TestContext.Current.CancellationToken);
        Assert.NotNull(batch);
        Assert.Equal(["PAY-1", "PAY-2"], Decode(batch).Select(e => e.Key));
    }

    [Fact]
    public void A_closed_spool_refuses_appends()
    {
        using var spool = new PredictionLogSpool(_dir.FullName, segmentBytes: 1 << 20);
        spool.Close();
        Assert.False(spool.TryAppend(Encode(Entry(0)), 1));
    }
}
