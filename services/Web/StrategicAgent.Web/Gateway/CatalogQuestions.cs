using System.Text.Json;

namespace StrategicAgent.Web.Gateway;

/// <summary>
/// The recommended questions in the agent's catalog (GET /api/v1/agent/catalog): each metric's
/// <c>examples</c>, grouped by the metric's <c>family</c> (docs/api.md). Read loosely — any
/// <c>recommended_questions</c>, <c>questions</c> or <c>examples</c> list, of strings or of objects with a
/// <c>question</c> — so the page keeps working if the catalog's shape grows. The groups take turns, so
/// the few shown cover every family rather than the first metric's examples.
/// </summary>
public static class CatalogQuestions
{
    public const int MaxShown = 12;

    private static readonly string[] ListNames = ["recommended_questions", "recommended", "questions", "examples", "example_questions"];

    public static IReadOnlyList<RecommendedQuestion> From(JsonElement catalog)
    {
        var found = new List<RecommendedQuestion>();
        Collect(catalog, null, found, depth: 0);
        var groups = found.DistinctBy(q => q.Question, StringComparer.OrdinalIgnoreCase)
            .GroupBy(q => q.Group ?? "", StringComparer.OrdinalIgnoreCase)
            .Select(g => g.ToList())
            .ToList();
        var shown = new List<RecommendedQuestion>();
        for (var turn = 0; shown.Count < MaxShown && groups.Any(g => g.Count > turn); turn++)
        {
            shown.AddRange(groups.Where(g => g.Count > turn).Select(g => g[turn]).Take(MaxShown - shown.Count));
        }
        return shown;
    }

    private static void Collect(JsonElement e, string? group, List<RecommendedQuestion> found, int depth)
    {
        if (depth > 4)
        {
            return;
        }
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var name = Text(e, "family") ?? Text(e, "title") ?? Text(e, "name") ?? group;
                foreach (var p in e.EnumerateObject())
                {
                    if (ListNames.Contains(p.Name, StringComparer.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var q in p.Value.EnumerateArray())
                        {
                            var text = q.ValueKind == JsonValueKind.String ? q.GetString() : Text(q, "question") ?? Text(q, "text");
                            if (!string.IsNullOrWhiteSpace(text))
                            {
                                found.Add(new RecommendedQuestion(text.Trim(), q.ValueKind == JsonValueKind.Object ? Text(q, "group") ?? name : name));
                            }
                        }
                    }
                    else
                    {
                        Collect(p.Value, name, found, depth + 1);
                    }
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    Collect(item, group, found, depth + 1);
                }
                break;
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
