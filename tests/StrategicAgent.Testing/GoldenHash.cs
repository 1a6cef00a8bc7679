namespace StrategicAgent.Testing;

/// <summary>
/// FNV-1a over 64-bit words: how the golden tests pin long seeded outputs (a generator's streams, a forecast's dates)
/// to one number that the code those values came from produced.
/// </summary>
public static class GoldenHash
{
    public const ulong Offset = 14695981039346656037UL;

    public static ulong Add(ulong h, ulong v)
    {
        for (var i = 0; i < 8; i++)
        {
            h ^= (v >> (8 * i)) & 0xff;
            h *= 1099511628211UL;
        }
        return h;
    }

    /// <summary>A double's exact bits (so −0, NaN payloads and the last ulp all count).</summary>
    public static ulong Bits(double d) => (ulong)BitConverter.DoubleToInt64Bits(d);
}
