using System.Text.Json;

namespace StrategicAgent.Web.Gateway;

/// <summary>
/// The recommended questions in the agent's catalog (GET /api/v1/agent/catalog). Read loosely — any
/// <c>recommended_questions</c>, <c>questions</c> or <c>examples</c> list, of strings or of objects with a
/// <c>question</c> — so the page lights up with whatever shape the catalog settles on.
/// </summary>
public static class CatalogQuestions
{
    private static readonly string[] ListNames = ["recommended_questions", "recommended", "questions", "examples", "example_questions"];

    public static IReadOnlyList<RecommendedQuestion> From(JsonElement catalog)
    {
        var found = new List<RecommendedQuestion>();
        Collect(catalog, null, found, depth: 0);
        return found.DistinctBy(q => q.Question, StringComparer.OrdinalIgnoreCase).Take(24).ToList();
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
                var name = Text(e, "title") ?? Text(e, "name") ?? group;
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
