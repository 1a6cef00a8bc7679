using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace StrategicAgent.Prediction.Infrastructure;

/// <summary>
/// The prediction log's write-ahead spool on local disk: a served prediction's log record is
/// written here (one <c>pwrite</c> per request, no fsync) before the response leaves, and shipped
/// to the database from here. A killed process loses nothing (its writes are in the kernel's page
/// cache); the next process that opens the same directory — the restarted service, or another
/// instance — adopts the dead owner's segments and ships them. Only a crash of the machine itself
/// can lose the last unsynced pages.
/// <para>
/// Layout: <c>owner-{id}.lock</c> (held with an exclusive advisory lock for the owner's lifetime: a
/// lock that can be taken means a dead owner) and segments <c>{id}-{sequence:D8}.seg</c> of records
/// <c>[magic u32][entries u32][payload length u32][payload]</c>, appended sequentially under one lock,
/// a new segment every <c>segmentBytes</c>. A shipped segment is deleted. Which records of a segment
/// are in the database is kept in the database, in the same transaction as the rows
/// (<c>ml.prediction_log_spool</c>), so a segment shipped twice is written once.
/// </para>
/// </summary>
public sealed class PredictionLogSpool : IDisposable
{
    public const uint Magic = 0x474F4C53; // "SLOG"
    public const int HeaderBytes = 12;

    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly FileStream _ownerLock;
    private readonly Lock _append = new();
    private readonly SemaphoreSlim _dataAvailable = new(0, 1);
    // Own segments (sealed ones, then the active one) and adopted ones (all sealed), oldest first.
    private readonly Queue<SpoolSegment> _own = new();
    private readonly Queue<SpoolSegment> _adopted = new();
    private readonly Dictionary<string, FileStream> _adoptedLocks = [];
    private SafeFileHandle _activeHandle;
    private SpoolSegment _active;
    private int _sequence;
    private int _signaled;
    private bool _closed;

    // The segment of the batch last read (one reader: the log writer).
    private SpoolSegment? _reading;

    public PredictionLogSpool(string directory, long segmentBytes)
    {
        _directory = directory;
        _segmentBytes = segmentBytes;
        System.IO.Directory.CreateDirectory(directory);
        _ownerLock = new FileStream(LockPath(_owner), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        (_active, _activeHandle) = OpenSegment();
    }

    public string Directory => _directory;

    /// <summary>
    /// The default spool directory: under the temporary directory, named after the database the log is
    /// written to, so instances share a spool only when they write to the same database.
    /// </summary>
    public static string DefaultDirectory(string connectionString)
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{b.Host}:{b.Port}/{b.Database}")))[..16];
        return Path.Combine(Path.GetTempPath(), "strategicagent-prediction-log", id);
    }

    /// <summary>
    /// Appends one record (the entries of one request). Returns false when the spool is closed or the
    /// disk refuses the write; then the caller counts the entries as dropped.
    /// </summary>
    public bool TryAppend(ReadOnlySpan<byte> payload, int entries)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], entries);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], payload.Length);
        lock (_append)
        {
            if (_closed)
            {
                return false;
            }
            var offset = _active.Length;
            try
            {
                // Header and payload in one positional write: a record is either all there or,
                // after a crash in the middle of it, a torn tail the reader recognises.
                var record = payload.Length <= 64 * 1024 ? stackalloc byte[HeaderBytes + payload.Length] : new byte[HeaderBytes + payload.Length];
                header.CopyTo(record);
                payload.CopyTo(record[HeaderBytes..]);
                RandomAccess.Write(_activeHandle, record, offset);
            }
            catch (IOException)
            {
                return false;
            }
            Volatile.Write(ref _active.LengthField, offset + HeaderBytes + payload.Length);
            if (_active.Length >= _segmentBytes)
            {
                Rotate();
            }
        }
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _dataAvailable.Release();
        }
        return true;
    }

    /// <summary>No more appends (shutdown): the active segment is sealed at its current length.</summary>
    public void Close()
    {
        lock (_append)
        {
            _closed = true;
            _active.Sealed = true;
        }
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _dataAvailable.Release();
        }
    }

    /// <summary>Waits until something was appended (or the timeout passes).</summary>
    public async Task WaitForDataAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await _dataAvailable.WaitAsync(timeout, ct);
        }
        finally
        {
            Interlocked.Exchange(ref _signaled, 0);
        }
    }

    /// <summary>
    /// Segments of dead owners in this directory: each one's lock is taken (so no other process adopts
    /// them too) and its segments are queued for shipping after what is queued already.
    /// </summary>
    public IReadOnlyList<string> AdoptOrphans()
    {
        var adopted = new List<string>();
        foreach (var lockFile in System.IO.Directory.EnumerateFiles(_directory, "owner-*.lock"))
        {
            var owner = Path.GetFileNameWithoutExtension(lockFile)["owner-".Length..];
            if (owner == _owner || _adoptedLocks.ContainsKey(owner))
            {
                continue;
            }
            FileStream held;
            try
            {
                held = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                continue; // its owner is alive (or another process adopted it a moment ago)
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            _adoptedLocks[owner] = held;
            lock (_append)
            {
                foreach (var path in SegmentsOf(owner))
                {
                    var segment = new SpoolSegment(path, owner, own: false) { Sealed = true };
                    segment.LengthField = new FileInfo(path).Length;
                    _adopted.Enqueue(segment);
                    adopted.Add(segment.Name);
                }
            }
            ReleaseOwnerIfDone(owner);
        }
        return adopted;
    }

    /// <summary>
    /// The next batch of whole records, at most <paramref name="maxEntries"/> entries (at least one record),
    /// from the oldest segment with unshipped data; null when nothing is readable now.
    /// <paramref name="startOf"/> gives where an adopted segment continues (what the database already has).
    /// </summary>
    public async Task<SpoolBatch?> ReadAsync(int maxEntries, Func<string, CancellationToken, Task<long>> startOf, CancellationToken ct)
    {
        SpoolSegment?[] candidates;
        lock (_append)
        {
            // Adopted data is older: it goes first. Only the last own segment can still grow.
            candidates = [_adopted.TryPeek(out var a) ? a : null, _own.TryPeek(out var o) ? o : null];
        }
        foreach (var segment in candidates)
        {
            if (segment is null)
            {
                continue;
            }
            if (!segment.Started)
            {
                segment.ReadOffset = segment.Own ? 0 : await startOf(segment.Name, ct);
                segment.Started = true;
            }
            var end = segment.Length;
            if (segment.ReadOffset < end && ReadRecords(segment, segment.ReadOffset, end, maxEntries) is { } batch)
            {
                _reading = segment;
                return batch;
            }
            // Nothing (more) readable. A sealed segment is then done — a torn record at the end of a
            // dead owner's segment belonged to a request that never got its answer.
            if (segment.Sealed)
            {
                _reading = segment;
                return new SpoolBatch(segment.Name, segment.Own, segment.ReadOffset, segment.ReadOffset, [], Finished: true);
            }
        }
        return null;
    }

    /// <summary>The batch is in the database: move on (and delete a finished segment; the caller then forgets its checkpoint).</summary>
    public void Commit(SpoolBatch batch)
    {
        var segment = _reading ?? throw new InvalidOperationException("No batch was read.");
        segment.ReadOffset = batch.EndOffset;
        _reading = null;
        if (!batch.Finished)
        {
            return;
        }
        lock (_append)
        {
            (segment.Own ? _own : _adopted).Dequeue();
        }
        File.Delete(segment.Path);
        if (!segment.Own)
        {
            ReleaseOwnerIfDone(segment.Owner);
        }
    }

    /// <summary>The database already has the segment up to <paramref name="offset"/> (shipped by another instance): continue there.</summary>
    public void Reposition(long offset)
    {
        var segment = _reading ?? throw new InvalidOperationException("No batch was read.");
        segment.ReadOffset = Math.Max(segment.ReadOffset, offset);
        _reading = null;
    }

    private SpoolBatch? ReadRecords(SpoolSegment segment, long from, long end, int maxEntries)
    {
        using var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var entries = new List<(long RecordOffset, byte[] Payload, int Count)>();
        var offset = from;
        var total = 0;
        Span<byte> header = stackalloc byte[HeaderBytes];
        while (offset + HeaderBytes <= end && (total == 0 || total < maxEntries))
        {
            if (RandomAccess.Read(handle, header, offset) < HeaderBytes
                || BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
            {
                break;
            }
            var count = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            if (length < 0 || count < 0 || offset + HeaderBytes + length > end)
            {
                break;
            }
            var payload = new byte[length];
            if (RandomAccess.Read(handle, payload, offset + HeaderBytes) < length)
            {
                break;
            }
            entries.Add((offset, payload, count));
            total += count;
            offset += HeaderBytes + length;
        }
        return entries.Count == 0 ? null : new SpoolBatch(segment.Name, segment.Own, from, offset, entries, Finished: false);
    }

    private void Rotate()
    {
        _active.Sealed = true;
        _activeHandle.Dispose();
        (_active, _activeHandle) = OpenSegment();
    }

    private (SpoolSegment, SafeFileHandle) OpenSegment()
    {
        var path = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{_owner}-{++_sequence:D8}.seg"));
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var segment = new SpoolSegment(path, _owner, own: true);
        _own.Enqueue(segment);
        return (segment, handle);
    }

    private IEnumerable<string> SegmentsOf(string owner) =>
        System.IO.Directory.EnumerateFiles(_directory, owner + "-*.seg").Order(StringComparer.Ordinal);

    private void ReleaseOwnerIfDone(string owner)
    {
        if (SegmentsOf(owner).Any() || !_adoptedLocks.Remove(owner, out var held))
        {
            return;
        }
        File.Delete(LockPath(owner));
        held.Dispose();
    }

    private string LockPath(string owner) => Path.Combine(_directory, $"owner-{owner}.lock");

    public void Dispose()
    {
        lock (_append)
        {
            _closed = true;
            _activeHandle.Dispose();
        }
        // An empty active segment leaves nothing behind (nothing to ship).
        if (_active.Length == 0)
        {
            File.Delete(_active.Path);
        }
        if (!System.IO.Directory.EnumerateFiles(_directory, _owner + "-*.seg").Any())
        {
            File.Delete(LockPath(_owner));
        }
        _ownerLock.Dispose();
        foreach (var held in _adoptedLocks.Values)
        {
            held.Dispose();
        }
        _dataAvailable.Dispose();
    }
}

public sealed class SpoolSegment(string path, string owner, bool own)
{
    public string Path { get; } = path;
    public string Name { get; } = System.IO.Path.GetFileName(path);
    public string Owner { get; } = owner;
    /// <summary>Created by this process (starts at 0) or adopted from a dead owner (starts where the database says).</summary>
    public bool Own { get; } = own;
    /// <summary>No more appends: the reader may finish it at <see cref="Length"/>.</summary>
    public volatile bool Sealed;
    /// <summary>Bytes of complete records.</summary>
    public long LengthField;
    public long Length => Volatile.Read(ref LengthField);
    /// <summary>The reader's position: records before it are in the database.</summary>
    public long ReadOffset { get; set; }
    public bool Started { get; set; }
}

/// <summary>Whole records of one segment, [StartOffset, EndOffset); Finished = the segment has nothing more.</summary>
public sealed record SpoolBatch(string Segment, bool Own, long StartOffset, long EndOffset,
    IReadOnlyList<(long RecordOffset, byte[] Payload, int Count)> Records, bool Finished)
{
    public int EntryCount => Records.Sum(r => r.Count);
}
