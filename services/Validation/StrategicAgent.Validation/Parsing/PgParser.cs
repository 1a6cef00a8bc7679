using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace StrategicAgent.Validation.Parsing;

/// <summary>A syntax error as PostgreSQL reports it, with a 1-based character position.</summary>
public sealed record SyntaxError(string Message, int Position, int Line, int Column, string Code = "syntax_error");

/// <summary>One statement of a multi-statement text: 1-based character position and length.</summary>
public sealed record StatementSpan(int Position, int Length, string Text);

/// <summary>One token of PostgreSQL's own scanner: 0-based UTF-16 start and end (exclusive); comments are tokens too.</summary>
public readonly record struct SqlToken(int Start, int End, bool Keyword);

/// <summary>
/// The parse of one SQL text: either the JSON parse tree or the syntax error. Owns a pooled buffer
/// behind the tree: dispose it.
/// </summary>
public sealed class ParsedSql : IDisposable
{
    private byte[]? _buffer;

    internal ParsedSql(SourceText source, JsonDocument? tree, byte[]? buffer, SyntaxError? error)
    {
        Source = source;
        Tree = tree;
        _buffer = buffer;
        Error = error;
    }

    public SourceText Source { get; }

    /// <summary>The libpg_query JSON tree (<c>{"version":…,"stmts":[…]}</c>); null on a syntax error.</summary>
    public JsonDocument? Tree { get; }

    public SyntaxError? Error { get; }

    public void Dispose()
    {
        Tree?.Dispose();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}

/// <summary>
/// Managed face of libpg_query: parse to a JSON tree, fingerprint, normalize, split. Every native
/// result is freed in a <c>finally</c>; inputs are copied to NUL-terminated UTF-8 (callers reject
/// embedded NULs first: see <see cref="SqlInputGuard"/>).
/// </summary>
public static unsafe class PgParser
{
    /// <summary>
    /// Deepest JSON tree accepted. Real queries stay far below (a 20-line report query is ~40 levels);
    /// the cap bounds the recursion of everything that walks the tree afterwards.
    /// </summary>
    public const int MaxTreeDepth = 1000;

    private static readonly JsonDocumentOptions TreeOptions = new() { MaxDepth = MaxTreeDepth };

    static PgParser() => PgQueryNative.EnsureRegistered();

    public static ParsedSql Parse(string sql)
    {
        var input = Utf8Input.Create(sql);
        try
        {
            var source = new SourceText(sql, input.Bytes);
            PgQueryNative.ParseResult result;
            fixed (byte* p = input.Buffer)
            {
                result = PgQueryNative.Parse(p);
            }
            try
            {
                if (result.Error != null)
                {
                    return new ParsedSql(source, null, null, ToSyntaxError(result.Error, source));
                }
                var tree = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(result.ParseTree);
                var buffer = ArrayPool<byte>.Shared.Rent(tree.Length);
                tree.CopyTo(buffer);
                JsonDocument doc;
                try
                {
                    doc = JsonDocument.Parse(buffer.AsMemory(0, tree.Length), TreeOptions);
                }
                catch (JsonException)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new ParsedSql(source, null, null, new SyntaxError(
                        $"The query nests too deeply (parse tree deeper than {MaxTreeDepth} levels); flatten the expression or split it with a CTE.",
                        0, 0, 0, "nesting_too_deep"));
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
                return new ParsedSql(source, doc, buffer, null);
            }
            finally
            {
                PgQueryNative.FreeParseResult(result);
            }
        }
        finally
        {
            input.Dispose();
        }
    }

    /// <summary>PostgreSQL's query fingerprint (hex): equal for queries that differ only in constants and formatting.</summary>
    public static string? Fingerprint(string sql)
    {
        var input = Utf8Input.Create(sql);
        try
        {
            PgQueryNative.FingerprintResult result;
            fixed (byte* p = input.Buffer)
            {
                result = PgQueryNative.Fingerprint(p);
            }
            try
            {
                return result.Error != null || result.FingerprintStr == null
                    ? null
                    : Marshal.PtrToStringUTF8((IntPtr)result.FingerprintStr);
            }
            finally
            {
                PgQueryNative.FreeFingerprintResult(result);
            }
        }
        finally
        {
            input.Dispose();
        }
    }

    /// <summary>The query with constants replaced by <c>$n</c> parameters; null on a syntax error.</summary>
    public static string? Normalize(string sql)
    {
        var input = Utf8Input.Create(sql);
        try
        {
            PgQueryNative.NormalizeResult result;
            fixed (byte* p = input.Buffer)
            {
                result = PgQueryNative.Normalize(p);
            }
            try
            {
                return result.Error != null || result.NormalizedQuery == null
                    ? null
                    : Marshal.PtrToStringUTF8((IntPtr)result.NormalizedQuery);
            }
            finally
            {
                PgQueryNative.FreeNormalizeResult(result);
            }
        }
        finally
        {
            input.Dispose();
        }
    }

    /// <summary>
    /// The tokens of PostgreSQL's scanner (strings, quoted names and comments are single tokens: nothing inside them is
    /// mistaken for a keyword or a parenthesis); null on a scan error.
    /// </summary>
    public static IReadOnlyList<SqlToken>? Scan(string sql)
    {
        var input = Utf8Input.Create(sql);
        try
        {
            var source = new SourceText(sql, input.Bytes);
            PgQueryNative.ScanResult result;
            fixed (byte* p = input.Buffer)
            {
                result = PgQueryNative.Scan(p);
            }
            try
            {
                if (result.Error != null || result.Pbuf.Data == null)
                {
                    return null;
                }
                return ScanTokens(new ReadOnlySpan<byte>(result.Pbuf.Data, checked((int)result.Pbuf.Len)), source);
            }
            finally
            {
                PgQueryNative.FreeScanResult(result);
            }
        }
        finally
        {
            input.Dispose();
        }
    }

    /// <summary>Decodes <c>ScanResult { repeated ScanToken tokens = 2; }</c>, <c>ScanToken { int32 start = 1; int32 end = 2; Token token = 4; KeywordKind keyword_kind = 5; }</c>.</summary>
    private static List<SqlToken> ScanTokens(ReadOnlySpan<byte> pb, SourceText source)
    {
        var tokens = new List<SqlToken>();
        var at = 0;
        while (at < pb.Length)
        {
            var tag = Varint(pb, ref at);
            if (tag == (2 << 3 | 2))
            {
                var length = (int)Varint(pb, ref at);
                var token = pb.Slice(at, length);
                at += length;
                ulong start = 0, end = 0, keyword = 0;
                var t = 0;
                while (t < token.Length)
                {
                    var field = Varint(token, ref t);
                    var value = Varint(token, ref t); // every ScanToken field is a varint
                    switch (field >> 3)
                    {
                        case 1: start = value; break;
                        case 2: end = value; break;
                        case 5: keyword = value; break;
                    }
                }
                tokens.Add(new SqlToken(source.PositionOfByteOffset((int)start) - 1, source.PositionOfByteOffset((int)end) - 1, keyword != 0));
            }
            else
            {
                Varint(pb, ref at); // version = 1
            }
        }
        return tokens;
    }

    private static ulong Varint(ReadOnlySpan<byte> pb, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = pb[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    /// <summary>Splits a text into statements with the parser (comments and literals containing ';' stay intact).</summary>
    public static IReadOnlyList<StatementSpan> Split(string sql, out SyntaxError? error)
    {
        var input = Utf8Input.Create(sql);
        try
        {
            var source = new SourceText(sql, input.Bytes);
            PgQueryNative.SplitResult result;
            fixed (byte* p = input.Buffer)
            {
                result = PgQueryNative.SplitWithParser(p);
            }
            try
            {
                if (result.Error != null)
                {
                    error = ToSyntaxError(result.Error, source);
                    return [];
                }
                error = null;
                var list = new List<StatementSpan>(result.NStmts);
                for (var i = 0; i < result.NStmts; i++)
                {
                    var stmt = result.Stmts[i];
                    var start = source.PositionOfByteOffset(stmt->StmtLocation);
                    var end = source.PositionOfByteOffset(stmt->StmtLocation + stmt->StmtLen);
                    list.Add(new StatementSpan(start, end - start, sql.Substring(start - 1, end - start)));
                }
                return list;
            }
            finally
            {
                PgQueryNative.FreeSplitResult(result);
            }
        }
        finally
        {
            input.Dispose();
        }
    }

    private static SyntaxError ToSyntaxError(PgQueryNative.PgQueryError* error, SourceText source)
    {
        var message = error->Message == null ? "syntax error" : Marshal.PtrToStringUTF8((IntPtr)error->Message) ?? "syntax error";
        // cursorpos is PostgreSQL's errposition: 1-based, counted in characters (code points) of the
        // UTF-8 input, 0 when the error has no position.
        var position = source.PositionOfCodePoint(error->CursorPos);
        var (line, column) = source.LineColumn(position);
        return new SyntaxError(message, position, line, column);
    }

    /// <summary>NUL-terminated UTF-8 copy of the input in a pooled buffer.</summary>
    private readonly struct Utf8Input : IDisposable
    {
        private Utf8Input(byte[] buffer, int length)
        {
            Buffer = buffer;
            Length = length;
        }

        public byte[] Buffer { get; }

        public int Length { get; }

        public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);

        public static Utf8Input Create(string sql)
        {
            var max = Encoding.UTF8.GetMaxByteCount(sql.Length) + 1;
            var buffer = ArrayPool<byte>.Shared.Rent(max);
            var length = Encoding.UTF8.GetBytes(sql, buffer);
            buffer[length] = 0;
            return new Utf8Input(buffer, length);
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
