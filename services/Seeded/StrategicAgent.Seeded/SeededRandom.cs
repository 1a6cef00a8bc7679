namespace StrategicAgent.Seeded;

/// <summary>
/// A seeded random source: xoshiro256** (Blackman &amp; Vigna) seeded through SplitMix64, doubles from the top 53 bits.
/// Written out here rather than <see cref="Random"/> so a seed's stream is fixed by this code alone (no runtime version
/// can change it; System.Random's seeded generator is kept only for compatibility and is several times slower), and so
/// independent streams can be derived cheaply from (seed, labels). The demo-data generator gives every project, issue
/// and repository its own stream (output identical however the work is ordered or split); the epic forecast draws its
/// Monte Carlo, trajectory and blend from one stream each. Both pin seeded outputs (the demo data's checksums, the
/// forecast's dates and backtest), so a change here must keep every existing method's stream as it is.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The stream of a 32-bit seed (the forecast's): the seed's bits as an unsigned number, so -1 is 2³² − 1.</summary>
    public SeededRandom(int seed) : this((ulong)(uint)seed)
    {
    }

    /// <summary>A stream derived from a seed and labels (e.g. tenant id, project index, "prs").</summary>
    public static SeededRandom Derive(long seed, params ReadOnlySpan<long> labels) => new(Mix(seed, labels));

    public static ulong Mix(long seed, params ReadOnlySpan<long> labels)
    {
        var h = (ulong)seed ^ 0x9E3779B97F4A7C15UL;
        foreach (var l in labels)
        {
            h ^= (ulong)l + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
            h = SplitMix(ref h);
        }
        return h;
    }

    /// <summary>A stable 64-bit label for a string (FNV-1a), for deriving streams from names.</summary>
    public static long Label(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return (long)h;
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n), from the top 31 bits (multiply-shift; the demo data's).</summary>
    public int Next(int n) => n <= 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : (int)((NextULong() >> 33) * (ulong)n >> 31);

    /// <summary>
    /// Uniform integer in [0, n), from all 64 bits (Lemire's multiply-shift: the high word of the 128-bit product; bias
    /// below 2⁻⁶⁴·n). The forecast's: another stream than <see cref="Next(int)"/> for the same state, and both are pinned.
    /// </summary>
    public int NextBelow(int n) => n <= 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : (int)Math.BigMul(NextULong(), (ulong)n, out _);

    /// <summary>Uniform integer in [min, max).</summary>
    public int Next(int min, int max) => min + Next(max - min);

    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    public bool Chance(double p) => NextDouble() < p;

    public double Normal()
    {
        // Box–Muller; one value per call keeps the stream simple.
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>exp(N(mu, sigma)): positive, right-skewed, like most durations.</summary>
    public double LogNormal(double mu, double sigma) => Math.Exp(mu + sigma * Normal());

    public double Exponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    public int Poisson(double lambda)
    {
        if (lambda <= 0)
        {
            return 0;
        }
        if (lambda > 30)
        {
            return Math.Max(0, (int)Math.Round(lambda + Math.Sqrt(lambda) * Normal()));
        }
        var l = Math.Exp(-lambda);
        var k = 0;
        var p = 1.0;
        do
        {
            k++;
            p *= NextDouble();
        }
        while (p > l);
        return k - 1;
    }

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Index drawn with the given (unnormalised) weights.</summary>
    public int Weighted(ReadOnlySpan<double> weights)
    {
        var total = 0.0;
        foreach (var w in weights)
        {
            total += w;
        }
        var x = NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            x -= weights[i];
            if (x < 0)
            {
                return i;
            }
        }
        return weights.Length - 1;
    }
}
