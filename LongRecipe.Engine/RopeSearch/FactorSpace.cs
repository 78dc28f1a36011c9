using System.Text.Json.Serialization;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.RopeSearch;

/// <summary>
/// One point of the search: LongRoPE's n̂ (positions below it keep the original RoPE) and the rescale
/// factors λ (pair i turns at θ_i / λ_i from n̂ on).
/// </summary>
public sealed record RopeCandidate(int InitialUnscaledTokens, IReadOnlyList<double> Factors)
{
    /// <summary>Equal for equal candidates (the factors live on the 0.01 grid), e.g. "4:100,125,200".</summary>
    [JsonIgnore]
    public string Key => $"{InitialUnscaledTokens}:{string.Join(",", Factors.Select(f => Math.Round(f * FactorSpace.Grid)))}";
}

/// <summary>
/// The search space of one stage: n̂ from a small candidate set, and vectors λ of d/2 rescale factors with
///   1 ≤ λ_0 ≤ λ_1 ≤ … ≤ λ_{d/2−1} ≤ upper
/// — high-frequency pairs (small i) are rescaled least, as the paper constrains them — on a grid of 0.01,
/// so that equal candidates are recognised and scored once.
/// </summary>
public sealed class FactorSpace(int pairs, double factor, double upper, IReadOnlyList<int> unscaledChoices)
{
    /// <summary>Grid steps per unit of λ: factors are multiples of 0.01.</summary>
    public const double Grid = 100;

    public int Pairs { get; } = pairs;

    /// <summary>The stage's extension s.</summary>
    public double Factor { get; } = factor;

    public double Upper { get; } = upper;

    /// <summary>The values n̂ may take, e.g. [0, 1, 2, 4, 8, 12, 16].</summary>
    public IReadOnlyList<int> UnscaledChoices { get; } = unscaledChoices.Count > 0
        ? unscaledChoices
        : throw new ArgumentException("n̂ needs at least one candidate value", nameof(unscaledChoices));

    // The grid's ends as whole steps: 1.00 and the largest multiple of 0.01 not above the upper bound.
    private long Lowest => (long)Grid;

    private long Highest => (long)Math.Floor(Upper * Grid);

    /// <summary>Brings any vector into the space: clamp to [1, upper], running maximum, round to the grid.</summary>
    public double[] Repair(IReadOnlyList<double> factors)
    {
        var repaired = new double[Pairs];
        var floor = 1.0;
        for (var i = 0; i < Pairs; i++)
        {
            floor = Math.Max(floor, Math.Clamp(factors[i], 1, Upper));
            // Rounding is monotone, so the order survives it; the floor keeps it within [1, upper].
            repaired[i] = Math.Clamp(Math.Round(floor * Grid), Lowest, Highest) / Grid;
        }
        return repaired;
    }

    /// <summary>
    /// The paper's initial candidates for extension s over an original window L, at the smallest n̂:
    ///   PI:   λ_i = s
    ///   NTK:  λ_i = s^(2i/(d−2))  (θ grown to θ · s^(d/(d−2)), so the lowest frequency is divided by s)
    ///   YaRN: λ_i from NTK-by-parts (transformers' yarn with the default β_fast = 32, β_slow = 1)
    /// </summary>
    public IEnumerable<RopeCandidate> Seeds(RopeScaling plain, int headDim, long originalWindow)
    {
        var d = 2 * Pairs;
        var yarn = plain with { Type = RopeType.Yarn, Factor = Factor, OriginalMaxPositionEmbeddings = originalWindow };
        IEnumerable<IReadOnlyList<double>> curves =
        [
            Enumerable.Repeat(Factor, Pairs).ToArray(),
            Enumerable.Range(0, Pairs).Select(i => Math.Pow(Factor, 2.0 * i / (d - 2))).ToArray(),
            Rope.ScaleFactors(yarn, headDim, originalWindow),
        ];
        return curves.Select(curve => new RopeCandidate(UnscaledChoices.Min(), Repair(curve)));
    }

    /// <summary>
    /// The reference code's mutation: with probability p each factor is redrawn uniformly from the grid
    /// between its neighbours' values, left to right,
    ///   λ_i ~ U{λ_{i−1}, λ_{i−1} + 0.01, …, λ_{i+1}}    (λ_{−1} = 1, λ_{d/2} = upper)
    /// so the vector stays non-decreasing and in bounds without repair and every ordered vector stays
    /// reachable; with the same probability n̂ is redrawn from its candidate set.
    /// </summary>
    public RopeCandidate Mutate(RopeCandidate parent, double probability, SplitMix64 random)
    {
        var steps = parent.Factors.Select(f => (long)Math.Round(f * Grid)).ToArray();
        for (var i = 0; i < Pairs; i++)
        {
            if (random.NextDouble() >= probability) continue;
            var below = i == 0 ? Lowest : steps[i - 1];
            var above = i == Pairs - 1 ? Highest : steps[i + 1];
            steps[i] = below + random.NextInt(0, (int)(above - below));
        }
        var unscaled = random.NextDouble() < probability
            ? UnscaledChoices[random.NextInt(0, UnscaledChoices.Count - 1)]
            : parent.InitialUnscaledTokens;
        return new RopeCandidate(unscaled, steps.Select(s => s / Grid).ToArray());
    }

    /// <summary>Uniform crossover: n̂ and each factor from one parent or the other; the factors then repaired into order.</summary>
    public RopeCandidate Crossover(RopeCandidate a, RopeCandidate b, SplitMix64 random)
    {
        var factors = Repair(Enumerable.Range(0, Pairs).Select(i => random.NextDouble() < 0.5 ? a.Factors[i] : b.Factors[i]).ToArray());
        return new RopeCandidate(random.NextDouble() < 0.5 ? a.InitialUnscaledTokens : b.InitialUnscaledTokens, factors);
    }
}
