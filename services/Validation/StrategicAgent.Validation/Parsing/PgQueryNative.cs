using System.Reflection;
using System.Runtime.InteropServices;

namespace StrategicAgent.Validation.Parsing;

/// <summary>
/// P/Invoke surface of libpg_query (PostgreSQL 15's own parser, Debian <c>libpg-query1504.0</c>).
/// Result structs are returned by value and each has a matching <c>pg_query_free_*</c> that must be
/// called exactly once, error or not. libpg_query keeps its memory contexts per thread, so calls
/// from different threads are independent.
/// </summary>
internal static unsafe partial class PgQueryNative
{
    public const string LibraryName = "pg_query";

    /// <summary>The runtime package ships only the versioned soname; probed in this order.</summary>
    private static readonly string[] Candidates = ["libpg_query.so.1504.0", "libpg_query.so", "libpg_query"];

    static PgQueryNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(PgQueryNative).Assembly, Resolve);
    }

    /// <summary>Forces the resolver registration (the static constructor) before the first call.</summary>
    public static void EnsureRegistered()
    {
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != LibraryName)
        {
            return IntPtr.Zero;
        }
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
            {
                return handle;
            }
        }
        throw new DllNotFoundException(
            "libpg_query is not installed: install the Debian package libpg-query1504.0 (it provides libpg_query.so.1504.0).");
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PgQueryError
    {
        public byte* Message;
        public byte* FuncName;
        public byte* FileName;
        public int LineNo;
        public int CursorPos;
        public byte* Context;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ParseResult
    {
        public byte* ParseTree;
        public byte* StderrBuffer;
        public PgQueryError* Error;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct FingerprintResult
    {
        public ulong Fingerprint;
        public byte* FingerprintStr;
        public byte* StderrBuffer;
        public PgQueryError* Error;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct NormalizeResult
    {
        public byte* NormalizedQuery;
        public PgQueryError* Error;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SplitStmt
    {
        public int StmtLocation;
        public int StmtLen;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SplitResult
    {
        public SplitStmt** Stmts;
        public int NStmts;
        public byte* StderrBuffer;
        public PgQueryError* Error;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Protobuf
    {
        public nuint Len;
        public byte* Data;
    }

    /// <summary>The scanner's tokens as a protobuf <c>pg_query.ScanResult</c> (start/end byte offsets, token, keyword kind).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ScanResult
    {
        public Protobuf Pbuf;
        public byte* StderrBuffer;
        public PgQueryError* Error;
    }

    [LibraryImport(LibraryName, EntryPoint = "pg_query_scan")]
    public static partial ScanResult Scan(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_scan_result")]
    public static partial void FreeScanResult(ScanResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_parse")]
    public static partial ParseResult Parse(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_parse_result")]
    public static partial void FreeParseResult(ParseResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_fingerprint")]
    public static partial FingerprintResult Fingerprint(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_fingerprint_result")]
    public static partial void FreeFingerprintResult(FingerprintResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_normalize")]
    public static partial NormalizeResult Normalize(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_normalize_result")]
    public static partial void FreeNormalizeResult(NormalizeResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_split_with_parser")]
    public static partial SplitResult SplitWithParser(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_split_result")]
    public static partial void FreeSplitResult(SplitResult result);
}
