namespace StrategicAgent.Validation.Domain;

/// <summary>Input that cannot be validated at all (the gRPC layer maps it to InvalidArgument).</summary>
public sealed class InvalidSqlInputException(string message) : Exception(message);

/// <summary>
/// Checks done before the native parser sees the text: empty input, size cap (a parse allocates a
/// tree many times the input's size), embedded NULs (C strings would silently truncate at them) and
/// text that is not valid Unicode (lone surrogates, or U+FFFD left behind by a lossy UTF-8 decode).
/// </summary>
public static class SqlInputGuard
{
    public static void Check(string? sql, int maxBytes)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            throw new InvalidSqlInputException("sql is empty: send one SELECT statement.");
        }
        // UTF-8 needs at most 3 bytes per UTF-16 char: skip the exact count for short texts.
        if (sql.Length * 3 > maxBytes)
        {
            var bytes = System.Text.Encoding.UTF8.GetByteCount(sql);
            if (bytes > maxBytes)
            {
                throw new InvalidSqlInputException(
                    $"sql is {bytes} bytes; the limit is {maxBytes} bytes (Validation:MaxSqlBytes).");
            }
        }
        var nul = sql.IndexOf('\0');
        if (nul >= 0)
        {
            throw new InvalidSqlInputException($"sql contains a NUL character at position {nul + 1}; remove it.");
        }
        var bad = IndexOfInvalidUnicode(sql);
        if (bad >= 0)
        {
            throw new InvalidSqlInputException(
                $"sql is not valid UTF-8/Unicode at position {bad + 1} (a lone surrogate or U+FFFD replacement character); send the text as valid UTF-8.");
        }
    }

    private static int IndexOfInvalidUnicode(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c < 0xD800)
            {
                continue;
            }
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    i++;
                    continue;
                }
                return i;
            }
            if (char.IsLowSurrogate(c) || c == '\uFFFD')
            {
                return i;
            }
        }
        return -1;
    }
}
