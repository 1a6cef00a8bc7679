using System.Text;

namespace StrategicAgent.Validation.Parsing;

/// <summary>
/// The SQL as the caller sent it plus its UTF-8 form. libpg_query reports node locations as 0-based
/// byte offsets into the UTF-8 text; callers want 1-based character positions (UTF-16, as .NET and
/// JavaScript count them) and line/column.
/// </summary>
public sealed class SourceText
{
    private readonly byte[]? _utf8;

    public SourceText(string text, ReadOnlySpan<byte> utf8)
    {
        Text = text;
        IsAscii = utf8.Length == text.Length;
        // Only a non-ASCII text needs its bytes kept for offset conversion.
        _utf8 = IsAscii ? null : utf8.ToArray();
    }

    public string Text { get; }

    public bool IsAscii { get; }

    /// <summary>1-based UTF-16 position of a 0-based UTF-8 byte offset; 0 for "no position".</summary>
    public int PositionOfByteOffset(int byteOffset)
    {
        if (byteOffset < 0)
        {
            return 0;
        }
        if (_utf8 is null)
        {
            return Math.Min(byteOffset, Text.Length) + 1;
        }
        var clamped = Math.Min(byteOffset, _utf8.Length);
        return Encoding.UTF8.GetCharCount(_utf8, 0, clamped) + 1;
    }

    /// <summary>1-based UTF-16 position of a 1-based code-point position (PostgreSQL's cursorpos).</summary>
    public int PositionOfCodePoint(int codePointPosition)
    {
        if (codePointPosition <= 0)
        {
            return 0;
        }
        if (_utf8 is null)
        {
            return Math.Min(codePointPosition, Text.Length + 1);
        }
        var remaining = codePointPosition - 1;
        var i = 0;
        while (remaining > 0 && i < Text.Length)
        {
            i += char.IsHighSurrogate(Text[i]) && i + 1 < Text.Length && char.IsLowSurrogate(Text[i + 1]) ? 2 : 1;
            remaining--;
        }
        return i + 1;
    }

    /// <summary>1-based line and column of a 1-based character position.</summary>
    public (int Line, int Column) LineColumn(int position)
    {
        if (position <= 0)
        {
            return (0, 0);
        }
        var end = Math.Min(position - 1, Text.Length);
        var line = 1;
        var lineStart = 0;
        var span = Text.AsSpan(0, end);
        int nl;
        var offset = 0;
        while ((nl = span[offset..].IndexOf('\n')) >= 0)
        {
            line++;
            offset += nl + 1;
            lineStart = offset;
        }
        return (line, end - lineStart + 1);
    }
}
