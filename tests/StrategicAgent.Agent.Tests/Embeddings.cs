using Microsoft.Extensions.Logging.Abstractions;
using StrategicAgent.Agent.Ai;

namespace StrategicAgent.Agent.Tests;

/// <summary>One sentence-embedding component for the whole test assembly (the model loads once), as the agent has one.</summary>
public static class Embeddings
{
    public static readonly MiniLmSentenceEmbeddings Shared = new(NullLogger<MiniLmSentenceEmbeddings>.Instance);
}
