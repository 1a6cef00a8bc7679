using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Text;
using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Training;

/// <summary>
/// ML.NET pipelines built from a feature set's documented columns: categoricals one-hot encoded,
/// text as word (and optionally character) n-grams, numerics concatenated as they are (NaN stays
/// NaN for LightGBM, which treats it as missing), then the trainer.
/// </summary>
public static class Pipelines
{
    public const string FeaturesColumn = "Features";
    public const string TrainLabelColumn = "Label";
    public const string BoolLabelColumn = "BoolLabel";

    /// <summary>Most n-grams kept per n-gram length in a text feature's vocabulary.</summary>
    public const int MaxNgrams = 5000;

    static Pipelines() => NativeThreading.UsePassiveOpenMpWait();

    public static IEstimator<ITransformer> Featurizer(MLContext ml, IReadOnlyList<FeatureColumn> features, Hyperparameters h)
    {
        IEstimator<ITransformer> chain = new EstimatorChain<ITransformer>();
        var parts = new List<string>();
        foreach (var c in features.Where(f => f.Kind == FeatureKind.Categorical))
        {
            chain = chain.Append(ml.Transforms.Categorical.OneHotEncoding(c.Property + "_oh", c.Property,
                OneHotEncodingEstimator.OutputKind.Indicator, maximumNumberOfKeys: 2000));
            parts.Add(c.Property + "_oh");
        }
        foreach (var c in features.Where(f => f.Kind == FeatureKind.Text))
        {
            if (h.WordNgrams == 0 && h.CharNgrams == 0) continue;
            chain = chain.Append(ml.Transforms.Text.FeaturizeText(c.Property + "_tx", new TextFeaturizingEstimator.Options
            {
                CaseMode = TextNormalizingEstimator.CaseMode.Lower,
                KeepDiacritics = false,
                KeepPunctuations = false,
                KeepNumbers = true,
                StopWordsRemoverOptions = new StopWordsRemovingEstimator.Options { Language = TextFeaturizingEstimator.Language.English },
                // Capped vocabularies: the default (10 million per length) makes wide sparse vectors
                // that cost the trees far more time than the rare n-grams are worth.
                WordFeatureExtractor = h.WordNgrams > 0
                    ? new WordBagEstimator.Options { NgramLength = h.WordNgrams, UseAllLengths = true, MaximumNgramsCount = Enumerable.Repeat(MaxNgrams, h.WordNgrams).ToArray() }
                    : null,
                CharFeatureExtractor = h.CharNgrams > 0
                    ? new WordBagEstimator.Options { NgramLength = h.CharNgrams, UseAllLengths = false, MaximumNgramsCount = [MaxNgrams] }
                    : null,
                Norm = TextFeaturizingEstimator.NormFunction.L2,
            }, c.Property));
            parts.Add(c.Property + "_tx");
        }
        var numeric = features.Where(f => f.Kind == FeatureKind.Numeric).Select(f => f.Property).ToArray();
        if (numeric.Length > 0)
        {
            chain = chain.Append(ml.Transforms.Concatenate("Numeric", numeric));
            if (h.Algorithm == "fasttree")
            {
                // FastTree has no notion of missing: NaN becomes the column mean.
                chain = chain.Append(ml.Transforms.ReplaceMissingValues("Numeric", replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean));
            }
            parts.Add("Numeric");
        }
        return chain.Append(ml.Transforms.Concatenate(FeaturesColumn, parts.ToArray()));
    }

    /// <summary>
    /// The regression trainer. <paramref name="deterministic"/>: one LightGBM thread, column-wise
    /// histograms and LightGBM's deterministic mode, so a rerun gives the same model (the
    /// evaluation command; the service keeps its threads).
    /// </summary>
    public static IEstimator<ITransformer> Regressor(MLContext ml, Hyperparameters h, bool deterministic = false) => h.Algorithm switch
    {
        "fasttree" => ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
        {
            LabelColumnName = TrainLabelColumn,
            FeatureColumnName = FeaturesColumn,
            NumberOfTrees = h.Iterations,
            NumberOfLeaves = h.Leaves,
            LearningRate = h.LearningRate,
            MinimumExampleCountPerLeaf = h.MinLeaf,
            Shrinkage = 1,
            FeatureFraction = 0.9,
        }),
        _ => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
        {
            LabelColumnName = TrainLabelColumn,
            FeatureColumnName = FeaturesColumn,
            NumberOfIterations = h.Iterations,
            NumberOfLeaves = h.Leaves,
            LearningRate = h.LearningRate,
            MinimumExampleCountPerLeaf = h.MinLeaf,
            Seed = h.Seed,
            Silent = true,
            Verbose = false,
            NumberOfThreads = deterministic ? 1 : null,
            Deterministic = deterministic,
            ForceColumnWise = deterministic,
            Booster = new GradientBooster.Options { L2Regularization = 1, FeatureFraction = 0.9, SubsampleFraction = 0.9, SubsampleFrequency = 1 },
        }),
    };

    public static IEstimator<ITransformer> Classifier(MLContext ml, Hyperparameters h) => h.Algorithm switch
    {
        "fasttree" => ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = BoolLabelColumn,
            FeatureColumnName = FeaturesColumn,
            NumberOfTrees = h.Iterations,
            NumberOfLeaves = h.Leaves,
            LearningRate = h.LearningRate,
            MinimumExampleCountPerLeaf = h.MinLeaf,
            FeatureFraction = 0.9,
        }),
        _ => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = BoolLabelColumn,
            FeatureColumnName = FeaturesColumn,
            NumberOfIterations = h.Iterations,
            NumberOfLeaves = h.Leaves,
            LearningRate = h.LearningRate,
            MinimumExampleCountPerLeaf = h.MinLeaf,
            Seed = h.Seed,
            Silent = true,
            Verbose = false,
            Booster = new GradientBooster.Options { L2Regularization = 1, FeatureFraction = 0.9, SubsampleFraction = 0.9, SubsampleFrequency = 1 },
        }),
    };

    /// <summary>
    /// Adds the boolean label binary trainers need. Applied to the training data only, never part
    /// of the saved model (rows to predict have no label).
    /// </summary>
    public static IDataView WithBoolLabel(MLContext ml, IDataView data) =>
        ml.Transforms.CustomMapping<FloatLabel, BoolLabelRow>((i, o) => o.BoolLabel = i.Label > 0.5f, contractName: null)
            .Fit(data).Transform(data);

    public sealed class FloatLabel
    {
        public float Label { get; set; }
    }

    public sealed class BoolLabelRow
    {
        public bool BoolLabel { get; set; }
    }
}
