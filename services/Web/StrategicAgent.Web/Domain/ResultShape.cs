using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StrategicAgent.Web.Domain;

/// <summary>How an answer's rows are drawn.</summary>
public enum ChartKind
{
    /// <summary>No rows.</summary>
    None,

    /// <summary>One row: a big number (with its DORA tier when the answer has one).</summary>
    Number,

    /// <summary>A time series: a time label and a value per row.</summary>
    Line,

    /// <summary>Categories: a text label and a value per row.</summary>
    Bar,

    /// <summary>A listing: the table says it best.</summary>
    Table,
}

public sealed record ChartPoint(string Label, double Value);

/// <param name="Caption">For a number: what it is (the row's label, or the value's column).</param>
public sealed record ResultChart(ChartKind Kind, string? LabelColumn, string? ValueColumn, IReadOnlyList<ChartPoint> Points, string? Caption)
{
    public double? Number => Kind == ChartKind.Number && Points.Count == 1 ? Points[0].Value : null;
}

/// <summary>
/// Chooses the chart from the result's shape alone (columns and values), never from the question's
/// wording: one row → a number; a time column with a numeric one → a line; a text column with a
/// numeric one (up to <see cref="MaxBars"/> rows) → bars; anything else → the table. The values drawn
/// are the service's own, unchanged.
/// </summary>
public static partial class ResultShape
{
    public const int MaxBars = 40;

    public static ResultChart Choose(IReadOnlyList<string> columns, IReadOnlyList<JsonElement> rows)
    {
        if (rows.Count == 0 || columns.Count == 0)
        {
            return new ResultChart(ChartKind.None, null, null, [], null);
        }
        var numeric = Enumerable.Range(0, columns.Count).Where(i => IsNumericColumn(rows, i)).ToList();
        var labels = Enumerable.Range(0, columns.Count).Where(i => !numeric.Contains(i)).ToList();
        if (numeric.Count == 0)
        {
            return new ResultChart(ChartKind.Table, null, null, [], null);
        }
        var value = numeric[0];
        int? label = labels.Count > 0 ? labels[0] : null;

        if (rows.Count == 1)
        {
            var caption = label is { } l ? Text(Cell(rows[0], l)) : Humanize(columns[value]);
            return new ResultChart(ChartKind.Number, label is { } lc ? columns[lc] : null, columns[value],
                [new ChartPoint(caption, Cell(rows[0], value).GetDouble())], caption);
        }
        if (label is null)
        {
            return new ResultChart(ChartKind.Table, null, columns[value], [], null);
        }
        var points = rows
            .Where(r => Cell(r, value).ValueKind == JsonValueKind.Number)
            .Select(r => new ChartPoint(Text(Cell(r, label.Value)), Cell(r, value).GetDouble()))
            .ToList();
        if (IsTimeColumn(columns[label.Value], rows, label.Value))
        {
            var ordered = points.OrderBy(p => TimeKey(p.Label), StringComparer.Ordinal).ToList();
            return new ResultChart(ChartKind.Line, columns[label.Value], columns[value], ordered, null);
        }
        return points.Count <= MaxBars && labels.Count == 1
            ? new ResultChart(ChartKind.Bar, columns[label.Value], columns[value], points, null)
            : new ResultChart(ChartKind.Table, columns[label.Value], columns[value], [], null);
    }

    /// <summary>"lead_time_avg_days" → "Lead time avg days".</summary>
    public static string Humanize(string column)
    {
        var text = column.Replace('_', ' ').Trim();
        return text.Length == 0 ? column : char.ToUpperInvariant(text[0]) + text[1..];
    }

    public static string Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() ?? "",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        JsonValueKind.Number => FormatNumber(e.GetDouble()),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => e.GetRawText(),
    };

    public static string FormatNumber(double v) =>
        Math.Abs(v) >= 1000 ? v.ToString("#,0.##", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);

    public static JsonElement Cell(JsonElement row, int i) =>
        row.ValueKind == JsonValueKind.Array && i < row.GetArrayLength() ? row[i] : default;

    private static bool IsNumericColumn(IReadOnlyList<JsonElement> rows, int i)
    {
        var any = false;
        foreach (var r in rows)
        {
            var c = Cell(r, i);
            if (c.ValueKind == JsonValueKind.Number)
            {
                any = true;
            }
            else if (c.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
            {
                return false;
            }
        }
        return any;
    }

    private static bool IsTimeColumn(string name, IReadOnlyList<JsonElement> rows, int i) =>
        TimeName().IsMatch(name)
        || rows.All(r => Cell(r, i).ValueKind == JsonValueKind.String
                         && DateTimeOffset.TryParse(Cell(r, i).GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _));

    /// <summary>ISO dates and "2026-W07"/"2026-03" labels sort as text; anything else keeps the service's order.</summary>
    private static string TimeKey(string label) =>
        DateTimeOffset.TryParse(label, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)
            ? d.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)
            : label;

    [GeneratedRegex(@"^(week|month|day|date|quarter|year|period|bucket)(_start|_of|_label)?$|_(week|month|day|date)$", RegexOptions.IgnoreCase)]
    private static partial Regex TimeName();
}
