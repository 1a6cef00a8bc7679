using System.Globalization;
using System.Text;
using StrategicAgent.Ml.Features;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>One issue of a story-points data set (issuekey,title,description,storypoint,split_mark).</summary>
public sealed record StoryPointIssue(string Key, string Title, string Description, double Points, string Split);

/// <summary>Reads the published story-points CSV format (RFC 4180: quoted fields may hold commas, quotes and newlines).</summary>
public static class StoryPointsCsv
{
    public static readonly string[] Header = ["issuekey", "title", "description", "storypoint", "split_mark"];

    public static List<StoryPointIssue> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var records = Parse(reader).ToList();
        if (records.Count == 0)
        {
            throw new FormatException($"{path} is empty.");
        }
        var header = records[0].Select(h => h.Trim().ToLowerInvariant()).ToArray();
        var idx = Header.Select(h => Array.IndexOf(header, h)).ToArray();
        if (idx.Any(i => i < 0))
        {
            throw new FormatException($"{path}: expected columns {string.Join(",", Header)}; found {string.Join(",", header)}.");
        }
        var list = new List<StoryPointIssue>(records.Count);
        for (var r = 1; r < records.Count; r++)
        {
            var f = records[r];
            if (f.Count == 1 && string.IsNullOrWhiteSpace(f[0])) continue;
            if (f.Count < header.Length)
            {
                throw new FormatException($"{path}: record {r} has {f.Count} fields, expected {header.Length}.");
            }
            if (!double.TryParse(f[idx[3]], NumberStyles.Float, CultureInfo.InvariantCulture, out var points))
            {
                throw new FormatException($"{path}: record {r} ({f[idx[0]]}) has a non-numeric storypoint '{f[idx[3]]}'.");
            }
            var split = f[idx[4]].Trim().ToLowerInvariant();
            if (split is not ("train" or "val" or "test"))
            {
                throw new FormatException($"{path}: record {r} ({f[idx[0]]}) has split_mark '{split}'; expected train, val or test.");
            }
            list.Add(new StoryPointIssue(f[idx[0]], f[idx[1]], f[idx[2]], points, split));
        }
        return list;
    }

    private static IEnumerable<List<string>> Parse(TextReader reader)
    {
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            var ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        field.Append('"');
                        reader.Read();
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    record.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    record.Add(field.ToString());
                    field.Clear();
                    yield return record;
                    record = [];
                    break;
                default:
                    field.Append(ch);
                    break;
            }
        }
        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            yield return record;
        }
    }

    /// <summary>The complexity model's input for a story-points issue (text only: these data sets have nothing else).</summary>
    public static ComplexityFeatures ToFeatures(StoryPointIssue i, string project, long id) => new()
    {
        EntityId = id,
        Label = (float)i.Points,
        Text = i.Title + "\n" + (i.Description.Length > 1000 ? i.Description[..1000] : i.Description),
        IssueType = "Story",
        Project = project,
        Priority = "none",
        SummaryWords = i.Title.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length,
        DescriptionChars = i.Description.Length,
        HasEpic = 0,
        ProjectPriorMeanPoints = -1,
        ProjectPriorPointed = 0,
    };
}
