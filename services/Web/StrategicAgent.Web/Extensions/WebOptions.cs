using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Web.Extensions;

/// <summary>The web UI's settings (section <c>Web</c>); bad values stop it at start with the setting's name.</summary>
public sealed class WebOptions
{
    public const string Section = "Web";

    /// <summary>
    /// Longest wait for one attempt of an ordinary gateway call (lists, predictions, pins); a 503 with <c>Retry-After</c>
    /// is asked again only while its wait ends within this time of the first attempt.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for a question's answer (the gateway's own agent deadline is 2 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan AskTimeout { get; set; } = TimeSpan.FromMinutes(2.5);

    /// <summary>How long a sign-in lasts without activity (sliding).</summary>
    [Range(1, 24 * 30)]
    public int SessionHours { get; set; } = 8;

    /// <summary>
    /// How often a signed-in key is checked again with the gateway (GET /api/v1/me), on page loads and in
    /// open pages: a revoked key lands on the sign-in page within this time (plus the gateway's key cache).
    /// </summary>
    [Range(1, 3600)]
    public int RevalidateSeconds { get; set; } = 60;
}
