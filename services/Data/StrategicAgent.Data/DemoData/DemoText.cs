using System.Text;
using StrategicAgent.Seeded;

namespace StrategicAgent.Data.DemoData;

/// <summary>
/// Summaries and descriptions whose words carry the issue's size: "Fix typo in …" is mostly
/// small, "Re-architect … for multi-region" mostly big, with noise (a template from a
/// neighbouring size a third of the time). Text is a pure function of (seed, issue id), so it is
/// rendered when a row is written and never held in memory.
/// </summary>
internal static class DemoText
{
    private static readonly string[][] WorkTemplates =
    [
        ["Fix typo in {0}", "Update copy on {0}", "Rename label on {0}", "Adjust spacing in {0}", "Change default value in {0}",
         "Update tooltip for {0}", "Tweak log message in {0}", "Bump version of {0}"],
        ["Add validation to {0}", "Add unit tests for {0}", "Add sorting to {0}", "Handle empty state in {0}",
         "Expose new field in {0}", "Add feature flag for {0}"],
        ["Implement filtering for {0}", "Add endpoint for {0}", "Improve error handling in {0}", "Add caching to {0}",
         "Support pagination in {0}", "Add audit logging to {0}"],
        ["Build bulk import for {0}", "Integrate {0} with external provider", "Introduce retry and backoff in {0}",
         "Add multi-language support to {0}", "Implement role-based access for {0}"],
        ["Refactor {0} into separate services", "Migrate {0} to the new platform", "Redesign {0} end to end",
         "Rewrite {0} from scratch", "Re-architect {0} for multi-region"],
    ];

    private static readonly string[][] BugTemplates =
    [
        ["Typo on {0}", "Wrong label shown in {0}", "Misaligned button on {0}", "Broken link in {0}"],
        ["Validation error not shown in {0}", "Incorrect sort order in {0}", "{0} shows stale data after refresh"],
        ["Timeout when loading {0}", "Duplicate entries created by {0}", "Incorrect totals in {0}"],
        ["Race condition in {0} under load", "Memory leak in {0}", "Intermittent failures in {0}"],
        ["Data corruption in {0} during concurrent updates", "Cascading outage caused by {0}", "Deadlock in {0} under peak traffic"],
    ];

    private static readonly string[] SubTaskTemplates =
        ["Write tests for {0}", "Update docs for {0}", "Code review follow-up on {0}", "Add metrics for {0}", "Clean up feature flag in {0}"];

    private static readonly string[][] EpicTemplates =
    [
        ["Polish {0}", "Quick wins for {0}", "Small improvements to {0}"],
        ["Improve {0}", "{0} v2", "Harden {0}"],
        ["Re-platform {0}", "Overhaul {0} end to end", "Rebuild {0} for scale"],
    ];

    private static readonly string[][] Context =
    [
        ["Small change requested by support.", "Copy change only; no logic affected.", "Cosmetic issue reported by a customer."],
        ["Affects a single component.", "Should be straightforward.", "Limited to one screen."],
        ["Touches the API and the UI.", "Needs a few new tests.", "Involves one backend service and its client."],
        ["Spans several components and needs coordination with another team.", "Requires a schema change.",
         "Depends on an external provider's sandbox."],
        ["Touches many services and requires a data migration.", "Needs a rollout plan behind a feature flag.",
         "High risk: backwards-incompatible changes across clients."],
    ];

    private static readonly string[] Criteria =
    [
        "the change is covered by automated tests", "existing behaviour is unchanged for other tenants",
        "metrics and logs show the new path", "documentation is updated", "the product owner signs off",
        "performance stays within the current budget", "errors are reported with a clear message",
        "the change works on all supported browsers", "rollback is possible without data loss",
        "monitoring alerts are configured", "load test passes at twice the peak traffic", "security review is done",
    ];

    /// <summary>Size bucket 0..4 of a story-point value.</summary>
    public static int Bucket(int points) => points switch
    {
        <= 2 => 0,
        3 => 1,
        5 => 2,
        8 => 3,
        _ => 4,
    };

    private static int Noisy(SeededRandom rng, int bucket)
    {
        var x = rng.NextDouble();
        if (x < 0.67)
        {
            return bucket;
        }
        if (x < 0.95)
        {
            return Math.Clamp(bucket + (rng.Chance(0.5) ? 1 : -1), 0, 4);
        }
        return rng.Next(5);
    }

    public static SeededRandom Stream(ProjectChunk c, PlannedIssue issue) =>
        SeededRandom.Derive(c.Seed, SeededRandom.Label("text"), c.Tenant.Id, issue.Id);

    public static string Summary(ProjectChunk c, PlannedIssue issue, SeededRandom rng)
    {
        var obj = rng.Pick(c.Tenant.Objects);
        string template = issue.Kind switch
        {
            IssueKind.Epic => rng.Pick(EpicTemplates[issue.Children <= 6 ? 0 : issue.Children <= 13 ? 1 : 2]),
            IssueKind.SubTask => rng.Pick(SubTaskTemplates),
            IssueKind.Bug => rng.Pick(BugTemplates[Noisy(rng, Bucket(issue.TruePoints))]),
            _ => rng.Pick(WorkTemplates[Noisy(rng, Bucket(issue.TruePoints))]),
        };
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, template, obj);
    }

    /// <summary>Null for about one issue in eight, "TBD" for a few; longer for bigger work.</summary>
    public static string? Description(ProjectChunk c, PlannedIssue issue, SeededRandom rng)
    {
        var x = rng.NextDouble();
        if (x < 0.12)
        {
            return null;
        }
        if (x < 0.16)
        {
            return "TBD";
        }
        var bucket = issue.Kind switch
        {
            IssueKind.Epic => issue.Children <= 6 ? 1 : issue.Children <= 13 ? 3 : 4,
            IssueKind.SubTask => 0,
            _ => Noisy(rng, Bucket(issue.TruePoints)),
        };
        var sb = new StringBuilder(256);
        sb.Append(rng.Pick(Context[bucket]));
        if (bucket >= 3)
        {
            sb.Append(' ').Append(rng.Pick(Context[bucket]));
        }
        if (issue.Kind == IssueKind.Bug)
        {
            sb.Append(" Steps to reproduce: open ").Append(rng.Pick(c.Tenant.Objects)).Append(" and repeat the action.");
        }
        var bullets = 1 + bucket + rng.Poisson(0.6);
        sb.Append("\nAcceptance criteria:");
        for (var i = 0; i < bullets; i++)
        {
            sb.Append("\n- ").Append(rng.Pick(Criteria));
        }
        return sb.ToString();
    }

    private static readonly string[] Libraries = ["Npgsql", "Serilog", "react", "lodash", "grpc", "protobuf", "axios", "jackson", "okhttp", "pytest"];

    public static string PrTitle(ProjectChunk c, PlannedPr pr, SeededRandom rng)
    {
        if (pr.Issue is { } issue)
        {
            var key = c.Project.Key + "-" + issue.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var summary = Summary(c, issue, Stream(c, issue));
            return rng.Weighted([0.5, 0.3, 0.2]) switch
            {
                0 => "[" + key + "] " + summary,
                1 => key + " " + summary,
                _ => summary,
            };
        }
        var lib = rng.Pick(Libraries);
        var major = rng.Next(1, 9);
        return rng.Weighted([0.5, 0.2, 0.2, 0.1]) switch
        {
            0 => $"Bump {lib} from {major}.{rng.Next(10)}.{rng.Next(10)} to {major}.{rng.Next(10, 20)}.0",
            1 => "Update CI pipeline",
            2 => "Fix flaky test in " + rng.Pick(c.Tenant.Objects),
            _ => "Upgrade " + lib + " to " + (major + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
