using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StrategicAgent.Web.Domain;

/// <summary>
/// An answer's table as CSV (RFC 4180: comma-separated, CRLF, quoted when needed, UTF-8 with BOM so
/// spreadsheet programs read accents). Values are the service's, unrounded. Text that a spreadsheet
/// would run as a formula (starting with =, +, -, @) gets a leading apostrophe.
/// </summary>
public static class Csv
{
    public static byte[] Write(IReadOnlyList<string> columns, IEnumerable<JsonElement> rows)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', columns.Select(Quote)).Append("\r\n");
        foreach (var row in rows)
        {
            sb.AppendJoin(',', Enumerable.Range(0, columns.Count).Select(i => Field(ResultShape.Cell(row, i)))).Append("\r\n");
        }
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(sb.ToString())];
    }

    private static string Field(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.String => Quote(Defuse(e.GetString() ?? "")),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => Quote(e.GetRawText()),
    };

    private static string Defuse(string s) => s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + s : s;

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    public static string FileName(string question)
    {
        var slug = new string(question.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        while (slug.Contains("--", StringComparison.Ordinal))
        {
            slug = slug.Replace("--", "-", StringComparison.Ordinal);
        }
        if (slug.Length > 60)
        {
            slug = slug[..60].TrimEnd('-');
        }
        return $"answer-{(slug.Length == 0 ? "table" : slug)}.csv";
    }
}
