using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Embeddings;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// The agent's sentence embeddings: the shared all-MiniLM-L6-v2 embedder (<see cref="MiniLmEmbedder"/>, the same one
/// ml-training's story-point features use), 384 dimensions, L2-normalised (the dot product is the cosine), one ONNX
/// intra-op thread (an embedding must not take both cores from the answers). Loaded on first use. If the model cannot
/// run here, <see cref="Embed"/> returns null and the callers fall back to words; the failure is logged once. Used by
/// the refusal suggestions (<see cref="EmbeddingSuggester"/>) and the learning memory's recall (<c>Data/LearningMemoryStore</c>).
/// </summary>
public sealed partial class MiniLmSentenceEmbeddings : ISentenceEmbeddings, IDisposable
{
    private readonly ILogger _logger;
    private readonly Lazy<MiniLmEmbedder?> _embedder;

    public MiniLmSentenceEmbeddings(ILogger<MiniLmSentenceEmbeddings> logger)
    {
        _logger = logger;
        _embedder = new Lazy<MiniLmEmbedder?>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Model => "all-MiniLM-L6-v2";

    public bool Available => _embedder.Value is not null;

    public float[][]? Embed(IReadOnlyList<string> texts, CancellationToken ct) =>
        _embedder.Value is { } embedder ? embedder.Embed(texts, ct) : null;

    private MiniLmEmbedder? Load()
    {
        try
        {
            var embedder = new MiniLmEmbedder(threads: 1);
            LogReady(_logger, embedder.Model);
            return embedder;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException or InvalidOperationException or IOException)
        {
            LogUnavailable(_logger, e.Message);
            return null;
        }
    }

    public void Dispose()
    {
        if (_embedder.IsValueCreated)
        {
            _embedder.Value?.Dispose();
        }
    }

    [LoggerMessage(LogLevel.Information, "Sentence embeddings ready ({Model}, offline)")]
    private static partial void LogReady(ILogger logger, string model);

    [LoggerMessage(LogLevel.Warning, "The sentence-embedding model cannot run here ({Reason}); suggestions and memory recall use words only")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
