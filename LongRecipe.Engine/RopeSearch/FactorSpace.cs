using LongRecipe.Engine.Model;
using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.RopeSearch;

/// <summary>
/// The search space of one stage: vectors λ of d/2 rescale factors (pair i turns at θ_i / λ_i) with
///   1 ≤ λ_0 ≤ λ_1 ≤ … ≤ λ_{d/2−1} ≤ upper
/// — high-frequency pairs (small i) are rescaled least, as the paper constrains them — on a grid of
/// 0.01, so that equal candidates are recognised and scored once.
/// </summary>
public sealed class FactorSpace(int pairs, double factor, double upper)
{
    private const double Grid = 100;

    public int Pairs { get; } = pairs;

    /// <summary>The stage's extension s.</summary>
    public double Factor { get; } = factor;

    public double Upper { get; } = upper;

    /// <summary>Brings any vector into the space: clamp to [1, upper], running maximum, round to the grid.</summary>
    public double[] Repair(IReadOnlyList<double> factors)
    {
        var repaired = new double[Pairs];
        var floor = 1.0;
        for (var i = 0; i < Pairs; i++)
        {
            floor = Math.Max(floor, Math.Clamp(factors[i], 1, Upper));
            // Rounding is monotone, so the order survives it; the floor keeps it within [1, upper].
            repaired[i] = Math.Clamp(Math.Round(floor * Grid) / Grid, 1, Math.Floor(Upper * Grid) / Grid);
        }
        return repaired;
    }

    /// <summary>A key equal for equal candidates (they live on the grid).</summary>
    public static string Key(IReadOnlyList<double> factors) => string.Join(",", factors.Select(f => Math.Round(f * Grid)));

    /// <summary>
    /// The paper's initial candidates for extension s over an original window L:
    ///   PI:   λ_i = s
    ///   NTK:  λ_i = s^(2i/(d−2))  (θ grown to θ · s^(d/(d−2)), so the lowest frequency is divided by s)
    ///   YaRN: λ_i from NTK-by-parts (transformers' yarn with the default β_fast = 32, β_slow = 1)
    /// </summary>
    public IEnumerable<double[]> Seeds(RopeScaling plain, int headDim, long originalWindow)
    {
        var d = 2 * Pairs;
        yield return Repair(Enumerable.Repeat(Factor, Pairs).ToArray());
        yield return Repair(Enumerable.Range(0, Pairs).Select(i => Math.Pow(Factor, 2.0 * i / (d - 2))).ToArray());
        var yarn = plain with { Type = RopeType.Yarn, Factor = Factor, OriginalMaxPositionEmbeddings = originalWindow };
        yield return Repair(Rope.ScaleFactors(yarn, headDim, originalWindow));
    }

    /// <summary>Each factor moves with probability p by up to step · s either way; then repaired.</summary>
    public double[] Mutate(IReadOnlyList<double> parent, double probability, double step, SplitMix64 random)
    {
        var child = parent.ToArray();
        for (var i = 0; i < Pairs; i++)
            if (random.NextDouble() < probability) child[i] += (2 * random.NextDouble() - 1) * step * Factor;
        return Repair(child);
    }

    /// <summary>Uniform crossover: each factor from one parent or the other; then repaired into order.</summary>
    public double[] Crossover(IReadOnlyList<double> a, IReadOnlyList<double> b, SplitMix64 random) =>
        Repair(Enumerable.Range(0, Pairs).Select(i => random.NextDouble() < 0.5 ? a[i] : b[i]).ToArray());
}
