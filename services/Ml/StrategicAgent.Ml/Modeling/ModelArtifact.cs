using Microsoft.ML;

namespace StrategicAgent.Ml.Modeling;

/// <summary>An ML.NET model (the whole pipeline: featurisation + trainer) as bytes for <c>ml.model_versions.artifact</c>.</summary>
public static class ModelArtifact
{
    public static byte[] Save(MLContext ml, ITransformer model, DataViewSchema inputSchema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, inputSchema, stream);
        return stream.ToArray();
    }

    public static ITransformer Load(MLContext ml, byte[] artifact, out DataViewSchema inputSchema)
    {
        if (artifact is null || artifact.Length == 0)
        {
            throw new ArgumentException("The model artefact is empty.", nameof(artifact));
        }
        using var stream = new MemoryStream(artifact, writable: false);
        return ml.Model.Load(stream, out inputSchema);
    }
}
