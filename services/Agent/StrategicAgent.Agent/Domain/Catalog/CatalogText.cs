namespace StrategicAgent.Agent.Domain.Catalog;

/// <summary>Plain-language views of the semantic layer: what the agent answers (refusals, the prompt).</summary>
public static class CatalogText
{
    private static readonly Lazy<IReadOnlyList<string>> CapabilitiesOfDefault = new(() => Capabilities(SemanticModel.Default));

    public static IReadOnlyList<string> Default => CapabilitiesOfDefault.Value;

    public static IReadOnlyList<string> Capabilities(SemanticModel model)
    {
        var lines = new List<string>();
        foreach (var family in model.Metrics.GroupBy(m => m.Family))
        {
            lines.Add($"{family.Key.Replace('_', ' ')}: {string.Join(", ", family.Select(m => m.Title.ToLowerInvariant()))}");
        }
        lines.Add("per row averages, medians, p90, minimum, maximum or totals of: " + string.Join(", ",
            model.Entities.SelectMany(e => e.Attributes.Where(a => a.Type == AttributeType.Number && a.Synonyms.Count > 0).Select(a => $"{a.Label} ({e.Singular})")).Distinct()));
        lines.Add("shares (percent) and counts of rows meeting a condition: " + string.Join(", ",
            model.Entities.SelectMany(e => e.Predicates.Where(p => p.Synonyms.Count > 0).Select(p => $"{e.Plural} {p.Label}")).Distinct()));
        lines.Add("listings: the top or bottom rows by " + string.Join(", ", model.Listings.Select(l => l.Label)) + " (pull requests, issues, epics, deployments, incidents)");
        lines.Add("groupings: " + string.Join(", ", model.Dimensions.Where(d => d.Dimension != Dimension.None).Select(d => d.Label).Distinct()));
        lines.Add("filters: team, project key, repository, issue type, person, severity, environment, priority, status, and numeric thresholds (more than / at least / under / between)");
        lines.Add("time: last N days/weeks/months, this/last week/month/quarter/year, a year, a quarter, a month, a date range");
        return lines;
    }
}
