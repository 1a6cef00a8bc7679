using System.Globalization;

namespace StrategicAgent.Ml.Training;

/// <summary>
/// Training settings of one model. Defaults come from configuration
/// (<c>Training:Models:&lt;name&gt;:Hyperparameters</c>), a request may override any of them by name.
/// Unknown names and bad values are rejected with a message that lists what is allowed.
/// </summary>
public sealed record Hyperparameters
{
    /// <summary>lightgbm | fasttree (anomaly always uses randomized PCA).</summary>
    public string Algorithm { get; init; } = "lightgbm";
    public int Iterations { get; init; } = 300;
    public int Leaves { get; init; } = 31;
    public double LearningRate { get; init; } = 0.05;
    public int MinLeaf { get; init; } = 20;
    /// <summary>Newest rows read for training (a cap for very large data).</summary>
    public int MaxRows { get; init; } = 300_000;
    /// <summary>Fewest rows a model trains on; fewer is a recorded failure, not a poor model.</summary>
    public int MinRows { get; init; } = 60;
    public double TrainFraction { get; init; } = 0.65;
    public double CalibrationFraction { get; init; } = 0.15;
    /// <summary>Word n-gram length for text features (0 = no word features).</summary>
    public int WordNgrams { get; init; } = 2;
    /// <summary>Character n-gram length for text features (0 = none).</summary>
    public int CharNgrams { get; init; } = 0;
    /// <summary>Rank of the anomaly model's principal subspace.</summary>
    public int PcaRank { get; init; } = 3;
    /// <summary>Also train three single-target models on the unified view for the honest comparison.</summary>
    public bool CompareSeparate { get; init; } = true;
    public int Seed { get; init; } = 1;

    private static readonly Dictionary<string, string> Help = new(StringComparer.Ordinal)
    {
        ["algorithm"] = "lightgbm | fasttree",
        ["iterations"] = "integer 1..5000",
        ["leaves"] = "integer 2..1024",
        ["learning_rate"] = "number in (0, 1]",
        ["min_leaf"] = "integer 1..10000",
        ["max_rows"] = "integer 10..10000000",
        ["min_rows"] = "integer 10..1000000",
        ["train_fraction"] = "number in [0.3, 0.9]",
        ["calibration_fraction"] = "number in [0.05, 0.4]",
        ["word_ngrams"] = "integer 0..3",
        ["char_ngrams"] = "integer 0..5",
        ["pca_rank"] = "integer 1..8",
        ["compare_separate"] = "true | false",
        ["seed"] = "integer",
    };

    public static IReadOnlyCollection<string> Names => Help.Keys;

    /// <summary>Applies overrides by name; throws <see cref="ArgumentException"/> naming the bad key and what it accepts.</summary>
    public Hyperparameters With(IReadOnlyDictionary<string, string>? overrides)
    {
        if (overrides is null || overrides.Count == 0) return this;
        var h = this;
        foreach (var (key, raw) in overrides)
        {
            if (!Help.TryGetValue(key, out var allowed))
            {
                throw new ArgumentException($"Unknown hyperparameter '{key}'. Known: {string.Join(", ", Help.Keys)}.");
            }
            try
            {
                h = key switch
                {
                    "algorithm" => h with { Algorithm = raw is "lightgbm" or "fasttree" ? raw : throw new FormatException() },
                    "iterations" => h with { Iterations = Int(raw, 1, 5000) },
                    "leaves" => h with { Leaves = Int(raw, 2, 1024) },
                    "learning_rate" => h with { LearningRate = Dbl(raw, 1e-6, 1) },
                    "min_leaf" => h with { MinLeaf = Int(raw, 1, 10000) },
                    "max_rows" => h with { MaxRows = Int(raw, 10, 10_000_000) },
                    "min_rows" => h with { MinRows = Int(raw, 10, 1_000_000) },
                    "train_fraction" => h with { TrainFraction = Dbl(raw, 0.3, 0.9) },
                    "calibration_fraction" => h with { CalibrationFraction = Dbl(raw, 0.05, 0.4) },
                    "word_ngrams" => h with { WordNgrams = Int(raw, 0, 3) },
                    "char_ngrams" => h with { CharNgrams = Int(raw, 0, 5) },
                    "pca_rank" => h with { PcaRank = Int(raw, 1, 8) },
                    "compare_separate" => h with { CompareSeparate = bool.Parse(raw) },
                    "seed" => h with { Seed = Int(raw, int.MinValue, int.MaxValue) },
                    _ => h,
                };
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new ArgumentException($"Hyperparameter '{key}' = '{raw}' is invalid: expected {allowed}.");
            }
        }
        if (h.TrainFraction + h.CalibrationFraction > 0.95)
        {
            throw new ArgumentException("train_fraction + calibration_fraction must leave at least 5% of rows for the test slice.");
        }
        return h;
    }

    public Dictionary<string, string> ToDictionary() => new(StringComparer.Ordinal)
    {
        ["algorithm"] = Algorithm,
        ["iterations"] = Iterations.ToString(CultureInfo.InvariantCulture),
        ["leaves"] = Leaves.ToString(CultureInfo.InvariantCulture),
        ["learning_rate"] = LearningRate.ToString(CultureInfo.InvariantCulture),
        ["min_leaf"] = MinLeaf.ToString(CultureInfo.InvariantCulture),
        ["max_rows"] = MaxRows.ToString(CultureInfo.InvariantCulture),
        ["min_rows"] = MinRows.ToString(CultureInfo.InvariantCulture),
        ["train_fraction"] = TrainFraction.ToString(CultureInfo.InvariantCulture),
        ["calibration_fraction"] = CalibrationFraction.ToString(CultureInfo.InvariantCulture),
        ["word_ngrams"] = WordNgrams.ToString(CultureInfo.InvariantCulture),
        ["char_ngrams"] = CharNgrams.ToString(CultureInfo.InvariantCulture),
        ["pca_rank"] = PcaRank.ToString(CultureInfo.InvariantCulture),
        ["compare_separate"] = CompareSeparate ? "true" : "false",
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
    };

    private static int Int(string s, int min, int max)
    {
        var v = int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);
        return v < min || v > max ? throw new FormatException() : v;
    }

    private static double Dbl(string s, double min, double max)
    {
        var v = double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        return !(v >= min && v <= max) ? throw new FormatException() : v;
    }
}
