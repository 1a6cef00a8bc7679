namespace StrategicAgent.Ml;

/// <summary>The models' names: the registry's <c>model_name</c> and the API's model names.</summary>
public static class ModelNames
{
    public const string Trajectory = "trajectory";
    public const string Complexity = "complexity";
    public const string Rework = "rework";
    public const string Unified = "unified";
    public const string Anomaly = "anomaly";

    /// <summary>
    /// The epic forecast's name in the prediction log and its alerts. Not a catalogued model (nothing is trained or
    /// deployed under it: the forecast is plain C# over the work history and the trajectory/complexity models).
    /// </summary>
    public const string Forecast = "forecast";

    /// <summary>Every catalogued model's name (<see cref="Models.ModelCatalog"/> is the list).</summary>
    public static IReadOnlyList<string> All => Models.ModelCatalog.Names;

    public static bool IsKnown(string? name) => Models.ModelCatalog.TryGet(name, out _);
}

/// <summary>What a model predicts.</summary>
public enum ModelTask
{
    /// <summary>A number (lead time, story points); confidence is a conformal interval.</summary>
    Regression,
    /// <summary>A probability (rework); confidence is the calibrated probability.</summary>
    BinaryClassification,
    /// <summary>Several regression targets in one model (unified); one interval per target.</summary>
    MultiTarget,
    /// <summary>An anomaly score with a threshold fitted on held-out normal data.</summary>
    Anomaly,
}
