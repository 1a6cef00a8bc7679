using System.Text.Json;

namespace StrategicAgent.Web.Domain;

/// <summary>Orders table cells: empty first, then numbers by value, then text (ordinal, ignoring case).</summary>
public sealed class CellComparer : IComparer<JsonElement>
{
    public static readonly CellComparer Instance = new();

    public int Compare(JsonElement a, JsonElement b)
    {
        var (ra, rb) = (Rank(a), Rank(b));
        if (ra != rb)
        {
            return ra.CompareTo(rb);
        }
        return ra switch
        {
            1 => a.GetDouble().CompareTo(b.GetDouble()),
            2 => StringComparer.OrdinalIgnoreCase.Compare(ResultShape.Text(a), ResultShape.Text(b)),
            _ => 0,
        };
    }

    private static int Rank(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => 0,
        JsonValueKind.Number => 1,
        _ => 2,
    };
}
