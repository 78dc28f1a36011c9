using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Randomness;
using LongRecipe.Lab.Components.Charts;
using LongRecipe.Lab.Components.Shared;

namespace LongRecipe.Lab.Components.Pages.Positions;

/// <summary>
/// The transform form: schemes side by side, the training length L, the target window T, the seed,
/// how many samples the coverage pools, and PoSE's chunk count. FullLength always trains at L = T.
/// </summary>
public sealed record PositionsRequest(IReadOnlyList<PositionScheme> Schemes, int Length, int Target, ulong Seed,
    int Samples = 16, int Chunks = 2)
{
    /// <summary>The most position ids the index chart plots per scheme; longer samples are thinned evenly.</summary>
    public const int MaxPlottedPoints = 2000;

    /// <summary>The first problem, naming the field, or null.</summary>
    public string? Problem() => Problems().FirstOrDefault()?.Message;

    /// <summary>Every problem at its field (Schemes, Length, Target, Samples, Chunks): nothing is clamped, a bad value is named.</summary>
    public IReadOnlyList<FieldProblem> Problems()
    {
        var problems = new List<FieldProblem>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) problems.Add(new FieldProblem(field, message));
        }
        Check(Schemes.Count > 0, nameof(Schemes), "Choose at least one scheme.");
        Check(Target >= 2, nameof(Target), $"Target window T must be at least 2, got {Target}.");
        Check(Target <= 1 << 20, nameof(Target), $"Target window T must be at most {1 << 20}, got {Target}.");
        Check(Length >= 2 && Length <= Math.Max(2, Target), nameof(Length), $"Training length L must be in [2, T = {Target}], got {Length}.");
        Check(Samples is >= 1 and <= 256, nameof(Samples), $"Samples must be in [1, 256], got {Samples}.");
        Check(!Schemes.Contains(PositionScheme.Pose) || Chunks >= 1 && Chunks <= Math.Max(1, Length), nameof(Chunks),
            $"PoSE chunks must be in [1, L = {Length}], got {Chunks}.");
        return problems;
    }
}

/// <summary>One scheme's numbers beside the charts.</summary>
/// <param name="CoveredShare">Share of distances 1 … T−1 some sample trains.</param>
/// <param name="LargestGap">The largest step between neighbouring positions over the samples.</param>
public sealed record SchemeSummary(PositionScheme Scheme, int Length, double CoveredShare, int LargestGap, int LastPosition);

public sealed record PositionsView(ChartFigure Positions, ChartFigure Gaps, ChartFigure Coverage, IReadOnlyList<SchemeSummary> Summaries);

/// <summary>
/// Runs the engine's position transforms for the Positions page: sample 0's position ids against
/// token index, the gap histogram and the distance coverage pooled over the samples, per scheme.
/// LongRecipe needs sentence ends; the explorer has no text, so sentences are 8 … 32 tokens long,
/// drawn from the seed (sentence k ends after a uniform number of tokens).
/// </summary>
public static class PositionsExplorer
{
    public const int CoverageBins = 32;

    public static PositionsView Build(PositionsRequest request)
    {
        if (request.Problem() is { } problem) throw new ArgumentException(problem);
        var positions = new List<ChartTrace>();
        var gaps = new List<ChartTrace>();
        var coverage = new List<ChartTrace>();
        var summaries = new List<SchemeSummary>();
        var gapEdges = PowerOfTwoEdges(request.Target);
        var coverageEdges = Histogram.UniformEdges(1, request.Target, Math.Min(CoverageBins, request.Target - 1));
        foreach (var scheme in request.Schemes)
        {
            var color = SchemeColors.Of(scheme);
            var name = SchemeColors.Label(scheme);
            var samples = Samples(request, scheme);
            var first = samples[0];
            var shown = Thin(first.Length, PositionsRequest.MaxPlottedPoints);
            positions.Add(new ChartTrace(name, shown.Select(i => (double)i).ToArray(), shown.Select(i => (double)first[i]).ToArray()) { Color = color });

            var gapHistogram = GapHistogram.Measure(samples, request.Target, gapEdges);
            gaps.Add(new ChartTrace(name, [], gapHistogram.Counts.Select(c => (double)c).ToArray())
            { Kind = TraceKind.Bar, XLabels = BinLabels(gapEdges), Color = color });

            var measured = DistanceCoverage.Measure(samples, request.Target, coverageEdges);
            var bins = coverageEdges.Length - 1;
            coverage.Add(new ChartTrace(name,
                Enumerable.Range(0, bins).Select(k => (coverageEdges[k] + coverageEdges[k + 1] - 1) / 2.0).ToArray(),
                Enumerable.Range(0, bins).Select(k => 100.0 * measured.CountCovered(coverageEdges[k], coverageEdges[k + 1]) / (coverageEdges[k + 1] - coverageEdges[k])).ToArray())
            { Kind = TraceKind.LineMarkers, Color = color });

            var largestGap = samples.Max(s => s.Zip(s.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max());
            summaries.Add(new SchemeSummary(scheme, first.Length, measured.Share, largestGap, first[^1]));
        }
        return new PositionsView(
            new ChartFigure(positions, new ChartAxis("token index i"), new ChartAxis("position id")) { Title = "Position id against token index (sample 0)" },
            new ChartFigure(gaps, new ChartAxis("gap pos[i+1] − pos[i]"), new ChartAxis("count", Log: true)) { Title = $"Gap histogram ({request.Samples} samples)" },
            new ChartFigure(coverage, new ChartAxis("relative distance d"), new ChartAxis("distances covered (%)", Range: (0, 102))) { Title = $"Relative-distance coverage ({request.Samples} samples)" },
            summaries);
    }

    /// <summary>The samples' position ids; FullLength places T tokens, the others L.</summary>
    private static List<int[]> Samples(PositionsRequest request, PositionScheme scheme)
    {
        var spec = new PositionTransformSpec(scheme, request.Target, request.Seed, Chunks: request.Chunks);
        var length = scheme == PositionScheme.FullLength ? request.Target : request.Length;
        var tokens = Enumerable.Range(0, length).ToArray();
        var sentenceEnds = SentenceEnds(length, request.Seed);
        return Enumerable.Range(0, request.Samples)
            .Select(k => PositionTransform.Apply(spec, tokens, k, id => sentenceEnds.Contains(id)))
            .ToList();
    }

    /// <summary>Token indices that end a sentence, sentences 8 … 32 tokens long (token id = index).</summary>
    private static HashSet<int> SentenceEnds(int length, ulong seed)
    {
        var random = new SplitMix64(seed);
        var ends = new HashSet<int>();
        for (var end = random.NextInt(8, 32) - 1; end < length; end += random.NextInt(8, 32)) ends.Add(end);
        return ends;
    }

    /// <summary>Edges 1, 2, 4, … up to the first power of two above the largest possible gap T − 1.</summary>
    internal static int[] PowerOfTwoEdges(int target)
    {
        var edges = new List<int> { 1 };
        while (edges[^1] <= target - 1) edges.Add(edges[^1] * 2);
        return edges.ToArray();
    }

    /// <summary>"1", "2–3", "4–7", …: the integer range of each bin.</summary>
    internal static string[] BinLabels(int[] edges) =>
        Enumerable.Range(0, edges.Length - 1)
            .Select(k => edges[k + 1] - 1 == edges[k] ? $"{edges[k]}" : $"{edges[k]}–{edges[k + 1] - 1}")
            .ToArray();

    /// <summary>At most <paramref name="most"/> indices spread evenly over [0, count), always including the last.</summary>
    internal static int[] Thin(int count, int most)
    {
        if (count <= most) return Enumerable.Range(0, count).ToArray();
        return Enumerable.Range(0, most).Select(k => (int)((long)k * (count - 1) / (most - 1))).ToArray();
    }
}

/// <summary>One colour and label per scheme, the same on every chart and form (the names the presets use).</summary>
public static class SchemeColors
{
    public static string Of(PositionScheme scheme) => scheme switch
    {
        PositionScheme.FullLength => "#455a64",
        PositionScheme.RandomPositions => "#ef6c00",
        PositionScheme.Pose => "#6a1b9a",
        _ => "#00897b",
    };

    public static string Label(PositionScheme scheme) => scheme switch
    {
        PositionScheme.FullLength => "FLT",
        PositionScheme.RandomPositions => "RPES",
        PositionScheme.Pose => "PoSE",
        _ => "LongRecipe",
    };
}
