using StrategicAgent.Embeddings;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>
/// The story-points evaluation end to end on one small generated project with the real
/// all-MiniLM-L6-v2 embedder: it runs, it is deterministic (a second run gives the same table),
/// and where the text carries the size it beats the median by more than the bootstrap band.
/// The 8-project evaluation itself is a command (docs/ml.md), not a test.
/// </summary>
public sealed class StoryPointsEvaluationTests
{
    private static readonly (string Title, string Description, double Points)[] Kinds =
    [
        ("Fix typo in the {0} label", "The word is misspelled on the {0} screen.", 1),
        ("Rename the {0} menu entry", "Product asked for a clearer name in the {0} menu.", 1),
        ("Add a REST endpoint to list {0}", "Paging and filtering by owner, with tests for the {0} listing.", 3),
        ("Validate {0} input on the server", "Reject malformed {0} payloads with a clear error and tests.", 3),
        ("Redesign the storage layer for {0}", "Move {0} persistence to a new schema with migration, backfill and rollback plan across services.", 13),
        ("Rewrite the {0} synchronisation engine", "Conflict resolution, offline queue, retries and a migration of existing {0} data across clients.", 13),
    ];

    private static readonly string[] Nouns = ["invoice", "customer", "project", "report", "user", "team", "order", "ticket", "build", "release"];

    internal static List<StoryPointIssue> Project()
    {
        var random = new Random(7);
        var issues = new List<StoryPointIssue>();
        for (var i = 0; i < 150; i++)
        {
            var kind = Kinds[random.Next(Kinds.Length)];
            var noun = Nouns[random.Next(Nouns.Length)];
            var split = i < 90 ? "train" : i < 120 ? "val" : "test";
            issues.Add(new StoryPointIssue($"GEN-{i}", string.Format(null, kind.Title, noun), string.Format(null, kind.Description, noun), kind.Points, split));
        }
        return issues;
    }

    [Fact]
    public void Evaluation_runs_on_a_small_project_is_deterministic_and_beats_the_median_when_text_carries_the_size()
    {
        using var minilm = new MiniLmEmbedder(threads: 1);
        var first = new StoryPointsEvaluation(new CachedEmbedder(minilm, cacheDirectory: null)).Evaluate("generated", Project());
        // A fresh embedder (nothing cached in memory): the vectors are computed again.
        using var minilm2 = new MiniLmEmbedder(threads: 1);
        var second = new StoryPointsEvaluation(new CachedEmbedder(minilm2, cacheDirectory: null)).Evaluate("generated", Project());

        Assert.Equal((90, 30, 30), (first.Train, first.Val, first.Test));
        Assert.Equal(StoryPointsEvaluation.Markdown([first]), StoryPointsEvaluation.Markdown([second]));
        Assert.Equal(first with { Seconds = 0 }, second with { Seconds = 0 });
        Assert.Equal(StoryPointsVerdict.Win, first.Verdict);
        Assert.True(first.DiffHigh < 0, $"band [{first.DiffLow}, {first.DiffHigh}]");
        Assert.True(first.Mae < 0.5 * first.MedianMae, $"ours {first.Mae}, median {first.MedianMae}, chosen {first.Chosen}");
    }

    [Fact]
    public void MiniLm_vectors_are_unit_length_and_similar_texts_are_closer()
    {
        using var minilm = new MiniLmEmbedder(threads: 1);
        var v = minilm.Embed(["Fix typo in the invoice label", "Fix a spelling mistake in the invoice caption", "Rewrite the synchronisation engine with conflict resolution"], TestContext.Current.CancellationToken);
        Assert.All(v, x => Assert.Equal(384, x.Length));
        Assert.All(v, x => Assert.Equal(1.0, Math.Sqrt(x.Sum(f => (double)f * f)), 3));
        static double Cos(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
        Assert.True(Cos(v[0], v[1]) > Cos(v[0], v[2]) + 0.2);
    }

    [Fact]
    public void Embedding_cache_file_round_trips_and_embeds_each_text_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sa-emb-" + Guid.NewGuid().ToString("N"));
        try
        {
            var fake = new CountingEmbedder();
            var cached = new CachedEmbedder(fake, dir);
            var a = cached.Embed(["one", "two", "one"]);
            Assert.Equal(2, fake.Calls);
            Assert.Equal(a[0], a[2]);
            var reloaded = new CachedEmbedder(fake, dir);
            var b = reloaded.Embed(["two", "one"]);
            Assert.Equal(2, fake.Calls);
            Assert.Equal(0, reloaded.Embedded);
            Assert.Equal(a[1], b[0]);
            Assert.Equal(a[0], b[1]);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bootstrap_band_contains_zero_for_equal_errors_and_excludes_it_for_a_clear_gain()
    {
        double[] actual = [1, 2, 3, 5, 8, 1, 2, 3, 5, 8];
        var (low, high) = StoryPointsEvaluation.BootstrapMaeDifference(actual, actual.Select(a => a + 1).ToArray(), actual.Select(a => a - 1).ToArray());
        Assert.Equal((0.0, 0.0), (low, high));
        var (l2, h2) = StoryPointsEvaluation.BootstrapMaeDifference(actual, actual, actual.Select(_ => 3.0).ToArray());
        Assert.True(h2 < 0 && l2 < h2);
    }

    private sealed class CountingEmbedder : ISentenceEmbedder
    {
        public int Calls { get; private set; }
        public string Model => "counting";
        public int Dimensions => 2;

        public float[][] Embed(IReadOnlyList<string> texts)
        {
            Calls += texts.Count;
            return texts.Select(t => new float[] { t.Length, t[0] }).ToArray();
        }
    }
}
