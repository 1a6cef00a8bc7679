using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using StrategicAgent.Embeddings;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>
/// Embeds each distinct text once and keeps the vectors in an append-only file keyed by the
/// SHA-256 of model name + text, so a rerun (or another project sharing issues) embeds nothing
/// twice. Texts are embedded in batches of similar length (less padding).
/// </summary>
public sealed class CachedEmbedder(ISentenceEmbedder inner, string? cacheDirectory) : ISentenceEmbedder
{
    private const int BatchSize = 32;
    private readonly Dictionary<string, float[]> _vectors = Load(inner, cacheDirectory);

    public string Model => inner.Model;

    public int Dimensions => inner.Dimensions;

    /// <summary>Texts embedded (not found in the cache) and the time spent on them, for the benchmark.</summary>
    public int Embedded { get; private set; }

    public TimeSpan EmbedTime { get; private set; }

    public float[][] Embed(IReadOnlyList<string> texts)
    {
        var keys = texts.Select(Key).ToArray();
        var missing = keys.Select((k, i) => (k, i)).Where(x => !_vectors.ContainsKey(x.k))
            .DistinctBy(x => x.k).OrderBy(x => texts[x.i].Length).ToList();
        for (var start = 0; start < missing.Count; start += BatchSize)
        {
            var batch = missing.Skip(start).Take(BatchSize).ToList();
            var sw = Stopwatch.StartNew();
            var vectors = inner.Embed(batch.Select(x => texts[x.i]).ToList());
            EmbedTime += sw.Elapsed;
            Embedded += batch.Count;
            for (var j = 0; j < batch.Count; j++) _vectors[batch[j].k] = vectors[j];
            Append(batch.Select((x, j) => (x.k, vectors[j])).ToList());
        }
        return keys.Select(k => _vectors[k]).ToArray();
    }

    private string Key(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(inner.Model + "\n" + MiniLmEmbedder.Clip(text))));

    private string? FilePath => cacheDirectory is null ? null : Path.Combine(cacheDirectory, inner.Model + ".vectors");

    private void Append(List<(string Key, float[] Vector)> entries)
    {
        if (FilePath is not { } path) return;
        Directory.CreateDirectory(cacheDirectory!);
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write);
        using var writer = new BinaryWriter(stream);
        foreach (var (key, vector) in entries)
        {
            writer.Write(Convert.FromHexString(key));
            writer.Write(vector.Length);
            foreach (var v in vector) writer.Write(v);
        }
    }

    private static Dictionary<string, float[]> Load(ISentenceEmbedder inner, string? directory)
    {
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var path = directory is null ? null : Path.Combine(directory, inner.Model + ".vectors");
        if (path is null || !File.Exists(path)) return vectors;
        using var reader = new BinaryReader(File.OpenRead(path));
        var length = reader.BaseStream.Length;
        // A record cut short by an interrupted run is ignored (it is embedded again).
        while (reader.BaseStream.Position + 36 <= length)
        {
            var key = Convert.ToHexString(reader.ReadBytes(32));
            var n = reader.ReadInt32();
            if (n != inner.Dimensions || reader.BaseStream.Position + 4L * n > length) break;
            var v = new float[n];
            for (var i = 0; i < n; i++) v[i] = reader.ReadSingle();
            vectors[key] = v;
        }
        return vectors;
    }

    /// <summary>Default cache folder: <c>$SA_EMBEDDING_CACHE</c>, else <c>~/.cache/strategicagent/embeddings</c>.</summary>
    public static string DefaultDirectory() =>
        Environment.GetEnvironmentVariable("SA_EMBEDDING_CACHE") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "strategicagent", "embeddings");
}
