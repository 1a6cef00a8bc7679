namespace StrategicAgent.Data.DemoData;

/// <summary>
/// The generator's random source: xoshiro256** seeded through SplitMix64. Written out here rather
/// than <see cref="Random"/> so the stream is fixed by this code alone (no runtime version can
/// change it) and so independent streams can be derived cheaply from (seed, labels): every
/// project, issue and repository gets its own stream, which keeps the output identical however
/// the work is ordered or split.
/// </summary>
internal sealed class DemoRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public DemoRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A stream derived from a seed and labels (e.g. tenant id, project index, "prs").</summary>
    public static DemoRandom Derive(long seed, params ReadOnlySpan<long> labels) => new(Mix(seed, labels));

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

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n) => n <= 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : (int)((NextULong() >> 33) * (ulong)n >> 31);

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
