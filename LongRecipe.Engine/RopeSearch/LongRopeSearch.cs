using System.Text.Json.Nodes;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.RopeSearch;

/// <summary>After each generation: where the search is and the best candidate so far.</summary>
/// <param name="Factor">The stage's extension s (the final one in the short phase).</param>
/// <param name="Generation">0 for the initial population, then 1 … <paramref name="Generations"/>.</param>
/// <param name="Evaluated">Distinct candidates scored so far in this stage.</param>
/// <param name="BestUnscaledTokens">The best candidate's n̂.</param>
public sealed record RopeSearchProgress(
    RopeSearchPhase Phase, double Factor, int Generation, int Generations, int Evaluated,
    double BestPerplexity, IReadOnlyList<double> BestFactors, int BestUnscaledTokens = 0);

/// <summary>One stage's outcome: its best n̂, factors and perplexity beside plain linear interpolation's.</summary>
/// <param name="Length">Tokens per sample the stage scored (s × L, or L in the short phase).</param>
/// <param name="LinearPerplexity">The same samples under rope_type linear with factor s (the short phase: plain RoPE).</param>
/// <param name="InitialUnscaledTokens">The stage's n̂ (the short phase keeps the long one's).</param>
public sealed record RopeSearchStage(
    RopeSearchPhase Phase, double Factor, int Length, IReadOnlyList<double> Factors,
    double BestPerplexity, double LinearPerplexity, int Evaluated, int InitialUnscaledTokens = 0);

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

    /// <summary>
    /// The rope_scaling object as config.json carries it: rope_type longrope with its fields, and
    /// initial_unscaled_tokens when n̂ &gt; 0 (transformers reads the object exactly only without it).
    /// </summary>
    public JsonObject RopeScalingJson()
    {
        var json = new JsonObject
        {
            ["rope_type"] = "longrope",
            ["factor"] = Rope.Factor,
            ["original_max_position_embeddings"] = Rope.OriginalMaxPositionEmbeddings,
            ["attention_factor"] = Rope.AttentionFactor,
            ["long_factor"] = new JsonArray(Rope.LongFactor!.Select(f => (JsonNode)f).ToArray()),
            ["short_factor"] = new JsonArray(Rope.ShortFactor!.Select(f => (JsonNode)f).ToArray()),
        };
        if (Rope.InitialUnscaledTokens > 0) json["initial_unscaled_tokens"] = Rope.InitialUnscaledTokens;
        return json;
    }
}

/// <summary>
/// LongRoPE's search (Ding et al., 2024, §2.2 and §3): n̂ (the initial positions left unscaled) and per-dimension
/// rescale factors, found by an evolutionary search with perplexity on long samples as fitness; stage by stage when
/// progressive (each seeded from the previous one's best), then short factors searched at the native window.
///
/// The fitness runs the model with exactly the RoPE the emitted config gives (<see cref="Rope"/>, n̂ included), so
/// a model loaded from it reproduces the reported perplexity. Long samples are longer than the native window L, so
/// the long factors apply to them; the first L tokens of the same samples score the short factors. The model starts
/// from plain RoPE (native window = max_position_embeddings), or from a longrope one — the progressive route's
/// second search, on a model fine-tuned at the first one's window: L is then its original window, the factors stay
/// relative to plain RoPE, and its own factors, scaled to the new s, seed the search.
/// </summary>
public static class LongRopeSearch
{
    // Each generation of each stage draws from stream (stage × this + generation) of the spec's seed.
    private const int StreamsPerStage = 1_000_000;

    /// <summary>The window a search extends: a longrope model's original window, a plain model's max_position_embeddings.</summary>
    public static long NativeWindow(LlamaConfig config) =>
        config.RopeScaling is { Type: RopeType.LongRope, OriginalMaxPositionEmbeddings: { } original } ? original : config.MaxPositionEmbeddings;

    /// <summary>
    /// Searches longrope settings for <paramref name="model"/> on the first <see cref="RopeSearchSpec.Samples"/> of
    /// <paramref name="samples"/>, each at least s × L tokens; reports after every generation. With
    /// <paramref name="checkpointFile"/> the state is written there after every generation, and a search started
    /// with an existing one continues from it.
    /// </summary>
    public static RopeSearchResult Run(LlamaModel model, IReadOnlyList<long[]> samples, RopeSearchSpec spec,
        IProgress<RopeSearchProgress>? progress = null, CancellationToken cancel = default, string? checkpointFile = null)
    {
        spec.Validate();
        var config = model.Config;
        var rope = config.RopeScaling;
        if (rope.Type is not (RopeType.Default or RopeType.LongRope))
            throw new ArgumentException($"rope search starts from plain RoPE or a longrope model; the model's rope_type is '{rope.Type.Name()}'");
        var window = NativeWindow(config);
        var longest = (int)Math.Round(spec.Factor * window);
        if (samples.Count < spec.Samples)
            throw new ArgumentException($"rope search needs Samples = {spec.Samples} samples, got {samples.Count}", nameof(samples));
        if (samples.Take(spec.Samples).FirstOrDefault(s => s.Length < longest) is { } shortSample)
            throw new ArgumentException($"every sample needs s × L = {longest} tokens; one has {shortSample.Length}", nameof(samples));
        if (spec.Stages.FirstOrDefault(s => Math.Round(s * window) <= window) is { } tooSmall and > 0)
            throw new ArgumentException($"a {tooSmall}× stage over a {window}-token window reaches no position beyond it", nameof(spec));
        var unscaledChoices = spec.UnscaledChoices(window);
        if (unscaledChoices.FirstOrDefault(n => n >= window) is var tooMany and > 0)
            throw new ArgumentException($"rope search UnscaledTokens: n̂ = {tooMany} leaves the whole {window}-token window unscaled", nameof(spec));

        var plain = new RopeScaling { Theta = rope.Theta, PartialRotaryFactor = rope.PartialRotaryFactor };
        var pairs = Rope.RotaryDim(rope, config.HeadDim) / 2;
        double Attention(double s) => s == spec.Factor && spec.AttentionFactor is { } given ? given : Math.Sqrt(1 + Math.Log(s) / Math.Log(window));
        LlamaConfig Candidate(double s, RopeCandidate longCandidate, IReadOnlyList<double> shortFactor) => config with
        {
            MaxPositionEmbeddings = (long)Math.Round(s * window),
            RopeScaling = plain with
            {
                Type = RopeType.LongRope, Factor = s, OriginalMaxPositionEmbeddings = window, AttentionFactor = Attention(s),
                LongFactor = longCandidate.Factors, ShortFactor = shortFactor, InitialUnscaledTokens = longCandidate.InitialUnscaledTokens,
            },
        };
        double Score(LlamaConfig candidate, long[][] stageSamples) => Perplexity.Of(model.WithConfig(candidate), stageSamples, spec.BatchSize, cancel);

        var state = checkpointFile is null ? SearchCheckpoint.Start(spec) : SearchCheckpoint.Load(checkpointFile, spec);
        var stages = state.Done.ToList();
        void Checkpoint(SearchCheckpoint.Evolution? current)
        {
            if (checkpointFile is not null) (state = state with { Done = stages.ToList(), Current = current }).Save(checkpointFile);
        }
        // A stage the checkpoint holds under way continues after its last generation.
        (RopeCandidate Candidate, double Perplexity, int Evaluated) Search(int stage, RopeSearchPhase phase, FactorSpace space,
            IReadOnlyList<RopeCandidate> seeds, int generations, Func<RopeCandidate, double> fitness) =>
            Evolve(new StageSearch(stage, phase, space, spec, fitness, progress, Checkpoint, cancel), seeds, generations,
                state.Current is { } current && current.Stage == stage ? current : null);

        // ---- the long factors and n̂, stage by stage ----
        var ones = Enumerable.Repeat(1.0, pairs).ToArray();
        RopeCandidate? previous = rope.Type == RopeType.LongRope ? new((int)rope.InitialUnscaledTokens, rope.LongFactor!) : null;
        var previousFactor = rope.Factor ?? (double)config.MaxPositionEmbeddings / window;
        for (var k = 0; k < spec.Stages.Count; k++)
        {
            var s = spec.Stages[k];
            if (k >= stages.Count)
            {
                var length = (int)Math.Round(s * window);
                var stageSamples = Prefixes(samples, spec.Samples, length);
                var space = new FactorSpace(pairs, s, spec.MaxFactorRatio * s, unscaledChoices);
                var seeds = space.Seeds(plain, config.HeadDim, window).ToList();
                if (previous is not null)
                    seeds.Insert(0, previous with { Factors = space.Repair(previous.Factors.Select(f => f * s / previousFactor).ToArray()) });
                var best = Search(k, RopeSearchPhase.Long, space, seeds, spec.Generations, c => Score(Candidate(s, c, ones), stageSamples));
                var linear = config with { MaxPositionEmbeddings = length, RopeScaling = plain with { Type = RopeType.Linear, Factor = s } };
                stages.Add(new(RopeSearchPhase.Long, s, length, best.Candidate.Factors, best.Perplexity, Score(linear, stageSamples),
                    best.Evaluated, best.Candidate.InitialUnscaledTokens));
                Checkpoint(null);
            }
            (previous, previousFactor) = (new(stages[k].InitialUnscaledTokens, stages[k].Factors), s);
        }

        // ---- the short factors at the native window, n̂ kept ----
        var longBest = previous!;
        if (stages.Count == spec.Stages.Count)
        {
            var shortSamples = Prefixes(samples, spec.Samples, (int)window);
            var shortSpace = new FactorSpace(pairs, spec.Factor, spec.MaxFactorRatio * spec.Factor, [longBest.InitialUnscaledTokens]);
            var best = Search(spec.Stages.Count, RopeSearchPhase.Short, shortSpace, [new(longBest.InitialUnscaledTokens, ones)], spec.ShortGenerations,
                c => Score(Candidate(spec.Factor, longBest, c.Factors), shortSamples));
            var plainAtWindow = config with { MaxPositionEmbeddings = window, RopeScaling = plain };
            stages.Add(new(RopeSearchPhase.Short, spec.Factor, (int)window, best.Candidate.Factors, best.Perplexity,
                Score(plainAtWindow, shortSamples), best.Evaluated, best.Candidate.InitialUnscaledTokens));
            Checkpoint(null);
        }

        var final = Candidate(spec.Factor, longBest, stages[^1].Factors);
        return new RopeSearchResult(final.RopeScaling, final.MaxPositionEmbeddings, stages[^2].BestPerplexity, stages[^1].BestPerplexity, stages);
    }

    /// <summary>What one stage's evolution needs besides its seeds.</summary>
    private sealed record StageSearch(
        int Stage, RopeSearchPhase Phase, FactorSpace Space, RopeSearchSpec Spec, Func<RopeCandidate, double> Fitness,
        IProgress<RopeSearchProgress>? Progress, Action<SearchCheckpoint.Evolution?> Checkpoint, CancellationToken Cancel);

    /// <summary>
    /// One evolutionary search: the seeds plus mutations of them fill the initial population; each generation keeps
    /// the best <see cref="RopeSearchSpec.Parents"/> and breeds the rest from them (crossover of two parents or
    /// mutation of one), scoring each distinct candidate once. With no generations only the seeds are scored.
    /// <paramref name="resumed"/> continues after its generation. Returns the best candidate and the count scored.
    /// </summary>
    private static (RopeCandidate Candidate, double Perplexity, int Evaluated) Evolve(StageSearch run, IReadOnlyList<RopeCandidate> seeds,
        int generations, SearchCheckpoint.Evolution? resumed)
    {
        var (space, spec) = (run.Space, run.Spec);
        var history = resumed?.History.ToList() ?? [];
        var population = resumed?.Population.ToList() ?? [];
        var scored = history.Select(h => h.Candidate.Key).ToHashSet();
        void Add(RopeCandidate candidate)
        {
            run.Cancel.ThrowIfCancellationRequested();
            if (scored.Contains(candidate.Key)) return;
            // A diverging candidate (overflowing logits) ranks last instead of poisoning the ordering.
            var perplexity = run.Fitness(candidate);
            var entry = new ScoredCandidate(candidate, double.IsNaN(perplexity) ? double.PositiveInfinity : perplexity);
            scored.Add(candidate.Key);
            history.Add(entry);
            population.Add(entry);
        }
        // A bred child may repeat a scored candidate; bounded retries keep a converged search finite.
        void Breed(Func<RopeCandidate> child)
        {
            for (var attempt = 0; population.Count < spec.Population && attempt < 20 * spec.Population; attempt++) Add(child());
        }

        for (var generation = resumed is null ? 0 : resumed.Generation + 1; generation <= generations; generation++)
        {
            var random = SplitMix64.ForSample(spec.Seed, run.Stage * StreamsPerStage + generation);
            if (generation == 0)
            {
                foreach (var seed in seeds) Add(seed);
                if (generations > 0) Breed(() => space.Mutate(seeds[random.NextInt(0, seeds.Count - 1)], spec.MutationProbability, random));
            }
            else
            {
                population = population.OrderBy(p => p.Perplexity).Take(spec.Parents).ToList();
                var parents = population.Select(p => p.Candidate).ToArray();
                RopeCandidate Pick() => parents[random.NextInt(0, parents.Length - 1)];
                Breed(() => parents.Length > 1 && random.NextDouble() < spec.CrossoverProbability
                    ? space.Crossover(Pick(), Pick(), random)
                    : space.Mutate(Pick(), spec.MutationProbability, random));
            }
            run.Checkpoint(new(run.Stage, generation, population.ToList(), history.ToList()));
            var best = population.MinBy(p => p.Perplexity)!;
            run.Progress?.Report(new(run.Phase, space.Factor, generation, generations, history.Count, best.Perplexity,
                best.Candidate.Factors, best.Candidate.InitialUnscaledTokens));
        }
        var winner = population.MinBy(p => p.Perplexity)!;
        return (winner.Candidate, winner.Perplexity, history.Count);
    }

    private static long[][] Prefixes(IReadOnlyList<long[]> samples, int count, int length) =>
        samples.Take(count).Select(s => s[..length]).ToArray();
}
