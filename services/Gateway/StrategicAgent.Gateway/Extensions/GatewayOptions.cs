using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Gateway.Extensions;

/// <summary>
/// Deadlines for calls to the downstream gRPC services (section <c>Downstream</c>). Each call gets
/// its own deadline: the HTTP client defaults (resilience handler, 10 s attempt timeout) are removed
/// from the gRPC clients because agent and training calls legitimately run far longer.
/// </summary>
public sealed class DownstreamOptions
{
    public const string Section = "Downstream";

    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan ValidationDeadline { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan AgentDeadline { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long <c>POST /models/{name}/train?wait=true</c> follows a run before it answers 202 with the run so far.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00")]
    public TimeSpan TrainingDeadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often <c>?wait=true</c> reads the run from the training service while it follows it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan TrainingPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Model registry calls (list models and versions, deploy).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan RegistryDeadline { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan PredictionDeadline { get; set; } = TimeSpan.FromSeconds(10);

    public static DateTime DeadlineFromNow(TimeSpan timeout) => DateTime.UtcNow + timeout;
}

/// <summary>API-key resolution cache (section <c>ApiKeys</c>).</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>How long a valid key's tenant and scopes are cached; a revoked key (or a removed scope) keeps working at most this long.</summary>
    [Range(0, 3600)]
    public int CacheSeconds { get; set; } = 30;

    /// <summary>How long an unknown key is remembered as unknown (spares the primary from repeated bad keys).</summary>
    [Range(0, 3600)]
    public int NegativeCacheSeconds { get; set; } = 5;

    /// <summary>Maximum number of cached resolutions.</summary>
    [Range(1, 10_000_000)]
    public int CacheSize { get; set; } = 10_000;
}
