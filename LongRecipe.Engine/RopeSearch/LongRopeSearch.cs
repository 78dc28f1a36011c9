using System.Text.Json.Nodes;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.RopeSearch;

/// <summary>Which factor set a search step works on.</summary>
public enum RopeSearchPhase
{
    /// <summary>long_factor, at a stage's extended window.</summary>
    Long,
    /// <summary>short_factor, at the native window.</summary>
    Short,
}

/// <summary>After each generation: where the search is and the best candidate so far.</summary>
/// <param name="Factor">The stage's extension s (the final one in the short phase).</param>
/// <param name="Generation">0 for the initial population, then 1 … <paramref name="Generations"/>.</param>
/// <param name="Evaluated">Distinct candidates scored so far in this stage.</param>
public sealed record RopeSearchProgress(
    RopeSearchPhase Phase, double Factor, int Generation, int Generations, int Evaluated,
    double BestPerplexity, IReadOnlyList<double> BestFactors);

/// <summary>One stage's outcome: its best factors and perplexity beside plain linear interpolation's.</summary>
/// <param name="Length">Tokens per sample the stage scored (s × L, or L in the short phase).</param>
/// <param name="LinearPerplexity">The same samples under rope_type linear with factor s (the short phase: plain RoPE).</param>
public sealed record RopeSearchStage(
    RopeSearchPhase Phase, double Factor, int Length, IReadOnlyList<double> Factors,
    double BestPerplexity, double LinearPerplexity, int Evaluated);

/// <summary>
/// The searched longrope settings. <see cref="Rope"/> with <see cref="MaxPositionEmbeddings"/> is what
/// <see cref="Apply"/> writes into a config; a model loaded from it scores the search samples at
/// exactly <see cref="LongPerplexity"/> and <see cref="ShortPerplexity"/>.
/// </summary>
public sealed record RopeSearchResult(
    RopeScaling Rope, long MaxPositionEmbeddings, double LongPerplexity, double ShortPerplexity,
    IReadOnlyList<RopeSearchStage> Stages)
{
    /// <summary>The model's config with the searched RoPE and the extended window.</summary>
    public LlamaConfig Apply(LlamaConfig config) =>
        (config with { MaxPositionEmbeddings = MaxPositionEmbeddings, RopeScaling = Rope }).Validate();

    /// <summary>The rope_scaling object transformers reads (rope_type longrope with its fields).</summary>
    public JsonObject RopeScalingJson() => new()
    {
        ["rope_type"] = "longrope",
        ["factor"] = Rope.Factor,
        ["original_max_position_embeddings"] = Rope.OriginalMaxPositionEmbeddings,
        ["attention_factor"] = Rope.AttentionFactor,
        ["long_factor"] = new JsonArray(Rope.LongFactor!.Select(f => (JsonNode)f).ToArray()),
        ["short_factor"] = new JsonArray(Rope.ShortFactor!.Select(f => (JsonNode)f).ToArray()),
    };
}

/// <summary>
/// LongRoPE's search (Ding et al., 2024, §2.2 and §3): per-dimension rescale factors found by an
/// evolutionary search with perplexity on long samples as fitness, progressively (each stage seeded
/// from the previous one's best), then short factors searched at the native window.
///
/// The fitness runs the model with exactly the rope a transformers longrope config makes, so the
/// emitted config reproduces the reported perplexity. The paper's n̂ (initial tokens left unscaled)
/// is therefore fixed at 0: transformers' longrope has no such field, and a perplexity measured with
/// n̂ &gt; 0 would be one no emitted config can reproduce. Long samples are longer than the native
/// window, so transformers (and the engine) apply long_factor to them; the first L tokens of the same
/// samples score the short factors. The base model must use plain RoPE (rope_type default).
/// </summary>
public static class LongRopeSearch
{
    /// <summary>
    /// Searches longrope factors for <paramref name="model"/> (plain RoPE, native window L =
    /// max_position_embeddings) on the first <see cref="RopeSearchSpec.Samples"/> of
    /// <paramref name="samples"/>, each at least s × L tokens; reports after every generation.
    /// </summary>
    public static RopeSearchResult Run(LlamaModel model, IReadOnlyList<long[]> samples, RopeSearchSpec spec,
        IProgress<RopeSearchProgress>? progress = null, CancellationToken cancel = default)
    {
        spec.Validate();
        var config = model.Config;
        if (config.RopeScaling.Type != RopeType.Default)
            throw new ArgumentException($"rope search starts from plain RoPE; the model's rope_type is '{config.RopeScaling.Type.Name()}'");
        var window = config.MaxPositionEmbeddings;
        var longest = (int)Math.Round(spec.Factor * window);
        if (samples.Count < spec.Samples)
            throw new ArgumentException($"rope search needs Samples = {spec.Samples} samples, got {samples.Count}", nameof(samples));
        if (samples.Take(spec.Samples).FirstOrDefault(s => s.Length < longest) is { } shortSample)
            throw new ArgumentException($"every sample needs s × L = {longest} tokens; one has {shortSample.Length}", nameof(samples));

        if (spec.Stages.FirstOrDefault(s => Math.Round(s * window) <= window) is { } tooSmall and > 0)
            throw new ArgumentException($"a {tooSmall}× stage over a {window}-token window reaches no position beyond it", nameof(spec));

        var pairs = Rope.RotaryDim(config.RopeScaling, config.HeadDim) / 2;
        var random = new SplitMix64(spec.Seed);
        var attention = spec.AttentionFactor ?? Math.Sqrt(1 + Math.Log(spec.Factor) / Math.Log(window));
        var ones = Enumerable.Repeat(1.0, pairs).ToArray();
        LlamaConfig Candidate(double s, IReadOnlyList<double> longFactor, IReadOnlyList<double> shortFactor, double attentionFactor) =>
            config with
            {
                MaxPositionEmbeddings = (long)Math.Round(s * window),
                RopeScaling = config.RopeScaling with
                {
                    Type = RopeType.LongRope, Factor = s, OriginalMaxPositionEmbeddings = window,
                    AttentionFactor = attentionFactor, LongFactor = longFactor, ShortFactor = shortFactor,
                },
            };

        var stages = new List<RopeSearchStage>();
        double[]? previous = null;
        var previousFactor = 1.0;
        foreach (var s in spec.Stages)
        {
            var length = (int)Math.Round(s * window);
            var stageSamples = Prefixes(samples, spec.Samples, length);
            // Every stage but the last uses its own default multiplier; the last uses the emitted one.
            var stageAttention = s == spec.Factor ? attention : Math.Sqrt(1 + Math.Log(s) / Math.Log(window));
            var space = new FactorSpace(pairs, s, spec.MaxFactorRatio * s);
            var seeds = space.Seeds(config.RopeScaling, config.HeadDim, window).ToList();
            if (previous is not null) seeds.Insert(0, space.Repair(previous.Select(f => f * s / previousFactor).ToArray()));
            var (best, ppl, evaluated) = Evolve(space, seeds, spec, spec.Generations, RopeSearchPhase.Long, random,
                factors => Perplexity.Of(model.WithConfig(Candidate(s, factors, ones, stageAttention)), stageSamples, spec.BatchSize, cancel),
                progress, cancel);
            var linear = config with
            {
                MaxPositionEmbeddings = length,
                RopeScaling = config.RopeScaling with { Type = RopeType.Linear, Factor = s },
            };
            stages.Add(new(RopeSearchPhase.Long, s, length, best, ppl, Perplexity.Of(model.WithConfig(linear), stageSamples, spec.BatchSize, cancel), evaluated));
            (previous, previousFactor) = (best, s);
        }

        var longFactor = previous!;
        var shortSamples = Prefixes(samples, spec.Samples, (int)window);
        var shortSpace = new FactorSpace(pairs, spec.Factor, spec.MaxFactorRatio * spec.Factor);
        var (shortFactor, shortPpl, shortEvaluated) = Evolve(shortSpace, [ones], spec, spec.ShortGenerations, RopeSearchPhase.Short, random,
            factors => Perplexity.Of(model.WithConfig(Candidate(spec.Factor, longFactor, factors, attention)), shortSamples, spec.BatchSize, cancel),
            progress, cancel);
        stages.Add(new(RopeSearchPhase.Short, spec.Factor, (int)window, shortFactor, shortPpl,
            Perplexity.Of(model, shortSamples, spec.BatchSize, cancel), shortEvaluated));

        var final = Candidate(spec.Factor, longFactor, shortFactor, attention);
        return new RopeSearchResult(final.RopeScaling, final.MaxPositionEmbeddings, stages[^2].BestPerplexity, shortPpl, stages);
    }

    /// <summary>
    /// One evolutionary search: the seeds plus mutations of them fill the initial population; each
    /// generation keeps the best <see cref="RopeSearchSpec.Parents"/> and breeds the rest from them
    /// (crossover of two parents or mutation of one), scoring each distinct candidate once.
    /// With no generations only the seeds are scored.
    /// </summary>
    private static (double[] Best, double Perplexity, int Evaluated) Evolve(FactorSpace space, IReadOnlyList<double[]> seeds,
        RopeSearchSpec spec, int generations, RopeSearchPhase phase, SplitMix64 random, Func<double[], double> fitness,
        IProgress<RopeSearchProgress>? progress, CancellationToken cancel)
    {
        var scores = new Dictionary<string, double>();
        var population = new List<double[]>();
        void Add(double[] candidate)
        {
            cancel.ThrowIfCancellationRequested();
            if (!scores.TryAdd(FactorSpace.Key(candidate), double.NaN)) return;
            // A diverging candidate (overflowing logits) ranks last instead of poisoning the ordering.
            var perplexity = fitness(candidate);
            scores[FactorSpace.Key(candidate)] = double.IsNaN(perplexity) ? double.PositiveInfinity : perplexity;
            population.Add(candidate);
        }
        double Score(double[] candidate) => scores[FactorSpace.Key(candidate)];
        void Report(int generation)
        {
            var best = population.MinBy(Score)!;
            progress?.Report(new(phase, space.Factor, generation, generations, scores.Count, Score(best), best));
        }
        // A bred child may repeat a scored candidate; bounded retries keep a converged search finite.
        void Breed(Func<double[]> child, int target)
        {
            for (var attempt = 0; population.Count < target && attempt < 20 * spec.Population; attempt++) Add(child());
        }

        foreach (var seed in seeds) Add(seed);
        if (generations > 0)
            Breed(() => space.Mutate(seeds[random.NextInt(0, seeds.Count - 1)], spec.MutationProbability, spec.MutationStep, random), spec.Population);
        Report(0);
        for (var generation = 1; generation <= generations; generation++)
        {
            var parents = population.OrderBy(Score).Take(spec.Parents).ToArray();
            population = [.. parents];
            double[] Pick() => parents[random.NextInt(0, parents.Length - 1)];
            Breed(() => parents.Length > 1 && random.NextDouble() < spec.CrossoverProbability
                ? space.Crossover(Pick(), Pick(), random)
                : space.Mutate(Pick(), spec.MutationProbability, spec.MutationStep, random), spec.Population);
            Report(generation);
        }
        var winner = population.MinBy(Score)!;
        return (winner, Score(winner), scores.Count);
    }

    private static long[][] Prefixes(IReadOnlyList<long[]> samples, int count, int length) =>
        samples.Take(count).Select(s => s[..length]).ToArray();
}
