using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using MlLogEntry = StrategicAgent.Ml.Features.PredictionLogEntry;

namespace StrategicAgent.Prediction.Domain;

public sealed class ModelHealthOptions
{
    public const string Section = "ModelHealth";

    /// <summary>PSI above which a feature counts as drifted (0.1–0.25 shifting, &gt; 0.25 drifted).</summary>
    [Range(0.01, 10.0)] public double PsiThreshold { get; set; } = 0.25;
    /// <summary>How many of the latest logged predictions of the deployed version the drift check reads.</summary>
    [Range(10, 1_000_000)] public int DriftSampleRows { get; set; } = 1000;
    /// <summary>Fewer logged predictions than this: no drift verdict yet.</summary>
    [Range(1, 1_000_000)] public int MinDriftSamples { get; set; } = 50;
    /// <summary>A model whose recent p99 latency exceeds this is degraded.</summary>
    [Range(0.1, 600_000.0)] public double LatencyP99BudgetMs { get; set; } = 250;
    /// <summary>Replica lag above this makes the service degraded.</summary>
    [Range(0.0, 86_400_000.0)] public double MaxReplicaLagMs { get; set; } = 30_000;
}

public sealed record DriftResult(string Feature, double Psi, bool Flagged);

public sealed record ModelHealthReport
{
    public required string ModelName { get; init; }
    public int DeployedVersion { get; init; }
    public DateTimeOffset? DeployedAt { get; init; }
    public double AgeDays { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public bool SmokeOk { get; init; }
    public string SmokeDetail { get; init; } = "";
    public LatencySummary Latency { get; init; }
    public IReadOnlyList<DriftResult> Drift { get; init; } = [];
    public int DriftSampleRows { get; init; }
    public required string Status { get; init; }
    public string Message { get; init; } = "";
}

public sealed record ServiceHealthReport(
    string Status, IReadOnlyList<ModelHealthReport> Models, double? ReplicaLagMs, string? ReplicaLagDetail,
    DateTimeOffset CheckedAt, long LogDropped, long LogPending, double PsiThreshold);

/// <summary>What the health report reads from the database.</summary>
public interface IHealthData
{
    /// <summary>The logged input features (JSON) of a version's latest predictions.</summary>
    Task<IReadOnlyList<string>> RecentFeatureJsonAsync(string modelName, int version, int rows, CancellationToken ct);
    /// <summary>Replica lag in ms (null when it cannot be measured) and how it was measured.</summary>
    Task<(double? LagMs, string Detail)> ReplicaLagAsync(CancellationToken ct);
}

/// <summary>
/// Per-model health: deployed version and age, training metrics, a live smoke prediction, recent
/// latency percentiles, PSI drift of recently served features against the training statistics;
/// plus replica lag and the prediction log's state, rolled up to healthy / degraded / unhealthy.
/// </summary>
public sealed class ModelHealthService(
    DeployedModels<LoadedModel> models,
    IModelLoadErrors loadErrors,
    LatencyTracker latency,
    PredictionLogQueue log,
    IHealthData data,
    IOptions<ModelHealthOptions> options,
    TimeProvider time)
{
    private readonly ModelHealthOptions _o = options.Value;

    public async Task<ServiceHealthReport> CheckAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var reports = new List<ModelHealthReport>();
        foreach (var name in ModelNames.All)
        {
            reports.Add(await CheckModelAsync(name, now, ct));
        }
        var (lag, lagDetail) = await data.ReplicaLagAsync(ct);

        var deployed = reports.Where(r => r.DeployedVersion > 0).ToList();
        string status;
        if (deployed.Count == 0 || deployed.Any(r => r.Status == "unhealthy"))
        {
            status = "unhealthy";
        }
        else if (deployed.Count < reports.Count || deployed.Any(r => r.Status == "degraded") || lag > _o.MaxReplicaLagMs)
        {
            status = "degraded";
        }
        else
        {
            status = "healthy";
        }
        return new ServiceHealthReport(status, reports, lag, lagDetail, now, log.Dropped, log.Pending, _o.PsiThreshold);
    }

    private async Task<ModelHealthReport> CheckModelAsync(string name, DateTimeOffset now, CancellationToken ct)
    {
        var model = models.Find(name);
        loadErrors.Errors.TryGetValue(name, out var loadError);
        if (model is null)
        {
            return new ModelHealthReport
            {
                ModelName = name,
                Status = "unhealthy",
                Message = loadError ?? new ModelNotDeployedException(name).Message,
            };
        }

        var (smokeOk, smokeDetail) = Smoke(model);
        var lat = latency.Summarize(name);
        var (drift, sampleRows) = await DriftAsync(model, ct);
        var problems = new List<string>();
        var status = "healthy";
        if (!smokeOk)
        {
            status = "unhealthy";
            problems.Add("smoke prediction failed: " + smokeDetail);
        }
        if (loadError is not null)
        {
            status = Worse(status, "degraded");
            problems.Add(loadError + " (still serving the previous version)");
        }
        if (drift.Any(d => d.Flagged))
        {
            status = Worse(status, "degraded");
            problems.Add($"drift in {string.Join(", ", drift.Where(d => d.Flagged).Select(d => $"{d.Feature} (PSI {d.Psi:0.00})"))}: consider retraining {name}");
        }
        if (lat.Samples > 0 && lat.P99 > _o.LatencyP99BudgetMs)
        {
            status = Worse(status, "degraded");
            problems.Add($"p99 latency {lat.P99:0.0} ms over the {_o.LatencyP99BudgetMs} ms budget");
        }
        if (sampleRows < _o.MinDriftSamples && name != ModelNames.Anomaly)
        {
            problems.Add($"drift not assessed yet: {sampleRows} logged predictions of this version (needs {_o.MinDriftSamples})");
        }
        var deployedAt = model.DeployedAt ?? model.Registration.CreatedAt;
        return new ModelHealthReport
        {
            ModelName = name,
            DeployedVersion = model.Version,
            DeployedAt = deployedAt,
            AgeDays = Math.Round((now - model.Registration.CreatedAt).TotalDays, 3),
            Metrics = model.Registration.Metrics,
            SmokeOk = smokeOk,
            SmokeDetail = smokeDetail,
            Latency = lat,
            Drift = drift,
            DriftSampleRows = sampleRows,
            Status = status,
            Message = string.Join("; ", problems),
        };
    }

    private static string Worse(string a, string b) => Rank(b) > Rank(a) ? b : a;

    private static int Rank(string s) => s switch { "unhealthy" => 2, "degraded" => 1, _ => 0 };

    /// <summary>A live prediction on a typical training row: it must run and give a finite value in a plausible range.</summary>
    internal static (bool Ok, string Detail) Smoke(LoadedModel model)
    {
        try
        {
            double value;
            switch (model.Name)
            {
                case ModelNames.Trajectory:
                    value = model.Predictor.PredictRegression([Typical<TrajectoryFeatures>(model)])[0].Value;
                    break;
                case ModelNames.Complexity:
                    value = model.Predictor.PredictRegression([Typical<ComplexityFeatures>(model)])[0].Value;
                    break;
                case ModelNames.Rework:
                    value = model.Predictor.PredictProbability([Typical<ReworkFeatures>(model)])[0].Probability;
                    if (value is < 0 or > 1)
                    {
                        return (false, $"probability {value} outside [0, 1]");
                    }
                    break;
                case ModelNames.Unified:
                    var u = model.Predictor.PredictUnified([Typical<UnifiedFeatures>(model)])[0];
                    value = u.LeadTimeDays.Value + u.StoryPoints.Value + u.Rework.Probability;
                    break;
                case ModelNames.Anomaly:
                    var stats = model.Predictor.Calibration.Anomaly?.Stats;
                    var (modelName, s) = stats?.FirstOrDefault() ?? default;
                    value = model.Predictor.ScoreAnomalies([new MlLogEntry
                    {
                        ModelName = modelName ?? ModelNames.Complexity,
                        CreatedAt = DateTime.UtcNow,
                        PredictionValue = s?.Value.Mean ?? 0,
                        InputFeatureCount = (int)Math.Round(s?.FeatureCount.Mean ?? 0),
                        Confidence = s?.Confidence.Mean,
                        ResponseTimeMs = s is null ? 1 : Math.Exp(s.LogLatency.Mean),
                    }])[0].Score;
                    break;
                default:
                    return (false, "unknown model");
            }
            if (!double.IsFinite(value))
            {
                return (false, $"non-finite output {value}");
            }
            var label = model.Registration.TrainingStats?.Label;
            if (label is not null && model.Name is ModelNames.Trajectory or ModelNames.Complexity)
            {
                var span = Math.Max(1, label.Max - label.Min);
                if (value < label.Min - span || value > label.Max + span)
                {
                    return (false, $"prediction {value:0.###} far outside the training labels [{label.Min:0.###}, {label.Max:0.###}]");
                }
            }
            return (true, $"typical input → {value:0.###}");
        }
        catch (Exception ex)
        {
            return (false, ex.GetType().Name + ": " + ex.Message);
        }
    }

    private static T Typical<T>(LoadedModel model) where T : class, new()
    {
        var row = new T();
        foreach (var f in model.FeatureSet.Features)
        {
            var prop = typeof(T).GetProperty(f.Property);
            if (prop is null || !prop.CanWrite)
            {
                continue;
            }
            if (model.Typical.TryGetValue(f.Property, out var v) && prop.PropertyType.IsInstanceOfType(v))
            {
                prop.SetValue(row, v);
            }
            else if (f.Kind == FeatureKind.Text)
            {
                prop.SetValue(row, "Smoke test: add a settings page\nA typical small change.");
            }
        }
        return row;
    }

    private async Task<(IReadOnlyList<DriftResult>, int)> DriftAsync(LoadedModel model, CancellationToken ct)
    {
        if (model.Name == ModelNames.Anomaly)
        {
            return ([], 0);
        }
        var json = await data.RecentFeatureJsonAsync(model.Name, model.Version, _o.DriftSampleRows, ct);
        if (json.Count < _o.MinDriftSamples)
        {
            return ([], json.Count);
        }
        var values = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var doc in json)
        {
            using var parsed = JsonDocument.Parse(doc);
            foreach (var p in parsed.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind is JsonValueKind.Number or JsonValueKind.Null)
                {
                    if (!values.TryGetValue(p.Name, out var list))
                    {
                        values[p.Name] = list = [];
                    }
                    list.Add(p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : double.NaN);
                }
            }
        }
        var result = new List<DriftResult>();
        foreach (var f in model.FeatureSet.OfKind(FeatureKind.Numeric))
        {
            var dist = model.Distribution(f);
            if (dist is null || !values.TryGetValue(f.Column, out var live))
            {
                continue;
            }
            var psi = Math.Round(dist.Psi(live), 4);
            result.Add(new DriftResult(f.Column, psi, psi > _o.PsiThreshold));
        }
        return (result.OrderByDescending(d => d.Psi).ToList(), json.Count);
    }
}

/// <summary>Load failures per model (the loader's state, read by health).</summary>
public interface IModelLoadErrors
{
    IReadOnlyDictionary<string, string> Errors { get; }
}
