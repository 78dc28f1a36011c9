namespace LongRecipe.Engine.RopeSearch;

/// <summary>
/// Settings of a LongRoPE search (Ding et al., 2024): an evolutionary search over per-dimension
/// rescale factors λ_i (RoPE pair i turns at θ_i / λ_i), with perplexity on long samples as fitness.
/// </summary>
/// <param name="Factor">Target extension s: the searched window is s × the model's native window, e.g. 4.</param>
/// <param name="Progressive">Stages searched in order, e.g. [2, 4]: each stage's initial population is
/// seeded from the previous stage's best, scaled up. Null or empty searches at <paramref name="Factor"/> only;
/// otherwise the last stage must equal it.</param>
/// <param name="Population">Candidates per generation (64 in the reference code).</param>
/// <param name="Generations">Generations after the initial population (40 in the reference code).</param>
/// <param name="Parents">The best candidates kept from one generation to the next (top-k) and bred from (32 in the reference code).</param>
/// <param name="MutationProbability">Chance that a mutation redraws each factor (between its neighbours' values) and n̂.</param>
/// <param name="CrossoverProbability">Chance that a child is a crossover of two parents instead of a mutation of one.</param>
/// <param name="MaxFactorRatio">Upper bound of every λ_i as a multiple of s (the paper's space is [1, 1.25 s] on a 0.01 grid).</param>
/// <param name="AttentionFactor">The cos/sin multiplier of the emitted config; null takes transformers'
/// longrope default √(1 + ln s / ln L).</param>
/// <param name="ShortGenerations">Generations of the short-factor search at the native window (0 leaves
/// the short factors at 1).</param>
/// <param name="UnscaledTokens">The values LongRoPE's n̂ (initial positions left unscaled) is searched over, e.g.
/// [0, 1, 2, 4]; null takes <see cref="PaperUnscaledTokens"/> up to a sixteenth of the native window. [0] keeps
/// the result one transformers' longrope expresses exactly.</param>
/// <param name="Samples">Long samples the fitness is measured on.</param>
/// <param name="BatchSize">Samples scored per forward pass.</param>
/// <param name="Seed">Seeds every random choice; one seed, one result.</param>
public sealed record RopeSearchSpec(
    double Factor = 4,
    IReadOnlyList<double>? Progressive = null,
    int Population = 16,
    int Generations = 8,
    int Parents = 4,
    double MutationProbability = 0.3,
    double CrossoverProbability = 0.3,
    double MaxFactorRatio = 1.25,
    double? AttentionFactor = null,
    int ShortGenerations = 4,
    IReadOnlyList<int>? UnscaledTokens = null,
    int Samples = 4,
    int BatchSize = 1,
    ulong Seed = 0)
{
    /// <summary>The paper's n̂ candidates for a 4096-token window (Ding et al., 2024, §3.1).</summary>
    public static readonly IReadOnlyList<int> PaperUnscaledTokens = [0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256];

    /// <summary>The extension factors searched in order, ending at <see cref="Factor"/>.</summary>
    public IReadOnlyList<double> Stages => Progressive is { Count: > 0 } stages ? stages : [Factor];

    /// <summary>
    /// The n̂ candidates for a native window of <paramref name="window"/> tokens: <see cref="UnscaledTokens"/>, or
    /// the paper's set up to window / 16, the same share of the window as its largest value (256 of 4096) — for a
    /// 256-token window {0, 1, 2, 4, 8, 12, 16}.
    /// </summary>
    public IReadOnlyList<int> UnscaledChoices(long window) =>
        UnscaledTokens is { Count: > 0 } given ? given : PaperUnscaledTokens.Where(n => n <= window / 16).ToArray();

    /// <summary>Throws <see cref="ArgumentException"/> naming the field of the first problem.</summary>
    public RopeSearchSpec Validate() =>
        Problems().FirstOrDefault() is ({ } field, var problem) ? throw new ArgumentException($"rope search {field} {problem}", field) : this;

    /// <summary>Every problem with the settings, in field order, as (field, what is wrong), e.g. (Population, "must be at least 2, not 1").</summary>
    public IEnumerable<(string Field, string Problem)> Problems()
    {
        if (!(Factor > 1) || double.IsInfinity(Factor)) yield return (nameof(Factor), $"must be a number above 1, not {Factor}");
        if (Progressive is { Count: > 0 } stages)
        {
            if (Enumerable.Range(0, stages.Count).Any(i => !(stages[i] > (i == 0 ? 1 : stages[i - 1]))))
                yield return (nameof(Progressive), $"stages must increase from above 1 ({string.Join(", ", stages)})");
            if (stages[^1] != Factor) yield return (nameof(Progressive), $"the last stage ({stages[^1]}) must equal Factor ({Factor})");
        }
        if (Population < 2) yield return (nameof(Population), $"must be at least 2, not {Population}");
        if (Generations < 0) yield return (nameof(Generations), $"must not be negative, not {Generations}");
        if (Parents < 1 || Parents >= Population) yield return (nameof(Parents), $"must lie in [1, Population) = [1, {Population}), not {Parents}");
        if (!(MutationProbability > 0 && MutationProbability <= 1)) yield return (nameof(MutationProbability), $"must lie in (0, 1], not {MutationProbability}");
        if (!(CrossoverProbability >= 0 && CrossoverProbability <= 1)) yield return (nameof(CrossoverProbability), $"must lie in [0, 1], not {CrossoverProbability}");
        if (!(MaxFactorRatio >= 1) || double.IsInfinity(MaxFactorRatio)) yield return (nameof(MaxFactorRatio), $"must be at least 1, not {MaxFactorRatio}");
        if (AttentionFactor is { } a && !(a > 0 && !double.IsInfinity(a))) yield return (nameof(AttentionFactor), $"must be positive, not {a}");
        if (ShortGenerations < 0) yield return (nameof(ShortGenerations), $"must not be negative, not {ShortGenerations}");
        if (UnscaledTokens is { } unscaled && (unscaled.Count == 0 || unscaled.Any(n => n < 0) || unscaled.Distinct().Count() != unscaled.Count))
            yield return (nameof(UnscaledTokens), $"must list distinct values ≥ 0, not [{string.Join(", ", unscaled)}]");
        if (Samples < 1) yield return (nameof(Samples), $"must be at least 1, not {Samples}");
        if (BatchSize < 1) yield return (nameof(BatchSize), $"must be at least 1, not {BatchSize}");
    }
}
