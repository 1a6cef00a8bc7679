using System.ComponentModel;
using Microsoft.SemanticKernel;
using StrategicAgent.Agent.Domain.Loop;

namespace StrategicAgent.Agent.Ai;

/// <summary>Tools the generator model may call: metric definitions, table columns, the tenant's names.</summary>
public sealed class SchemaPlugin(IVocabularySource vocabulary, long clientId)
{
    public int Calls { get; private set; }

    [KernelFunction("describe_metric"), Description("Returns the catalog definition of a metric (e.g. lead_time_avg_days, rework_rate_pct), or the list of metric names when unknown.")]
    public string DescribeMetric([Description("metric name")] string name)
    {
        Calls++;
        var model = SemanticModel.Default;
        return model.TryGetMetric(name.Trim(), out var m)
            ? $"{m.Name}: {m.Definition}. Unit {m.Unit}. Group by: {string.Join(", ", model.DimensionsOf(m).Select(d => model.Dimension(d).ColumnFor(m.Entity)))}."
            : "Unknown metric. Known: " + string.Join(", ", model.Metrics.Select(x => x.Name));
    }

    [KernelFunction("table_columns"), Description("Returns the columns of a table of the analytics schema.")]
    public string TableColumns([Description("table name, e.g. issues")] string table)
    {
        Calls++;
        var line = SemanticModel.SchemaSummary.Split('\n')
            .Select(l => l.Trim())
            .FirstOrDefault(l => l.StartsWith(table.Trim() + "(", StringComparison.OrdinalIgnoreCase));
        return line ?? "Unknown table. Tables: clients, teams, users, projects, issuetypes, status_mappings, statuses, issues, repositories, pull_requests, deployments, incidents.";
    }

    [KernelFunction("list_names"), Description("Lists the caller's team names, project keys, repository names or issue types.")]
    public async Task<string> ListNamesAsync([Description("one of: teams, projects, repositories, issue_types")] string kind, CancellationToken ct = default)
    {
        Calls++;
        var v = await vocabulary.GetAsync(clientId, ct);
        return kind.Trim().ToLowerInvariant() switch
        {
            "teams" => string.Join(", ", v.Teams),
            "projects" => string.Join(", ", v.Projects.Select(p => $"{p.Key} ({p.Name})")),
            "repositories" => string.Join(", ", v.Repositories),
            "issue_types" => string.Join(", ", v.IssueTypes),
            _ => "kind must be one of: teams, projects, repositories, issue_types",
        };
    }
}
