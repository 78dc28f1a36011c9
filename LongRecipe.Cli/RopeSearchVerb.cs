using System.Globalization;
using System.Text.Json.Nodes;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Cli;

/// <summary>
/// rope-search: LongRoPE's evolutionary search for n̂ and longrope factors on synthetic long samples
/// tokenized with the model's tokenizer. A progress bar on stderr shows the stage, generation and
/// best perplexity; the result (rope_scaling, perplexities, stages) is one JSON line on stdout, and
/// --out writes the model's config.json with the searched RoPE to a directory or a .json file
/// (--unscaled-tokens 0 keeps it one transformers reads exactly). The same engine code runs a run's search stage.
/// </summary>
public static class RopeSearchVerb
{
    public static Task<int> RunAsync(Arguments args)
    {
        var directory = args.Required("model");
        var tokenizer = Tokenizer.Load(args.Optional("tokenizer") ?? directory);
        using var model = PretrainedModel.Load(directory, args.Device, args.DType);
        var defaults = new RopeSearchSpec();
        var spec = new RopeSearchSpec(
            Factor: Number("factor", defaults.Factor),
            Progressive: args.Optional("progressive")?.Split(',').Select(s => Parse("progressive", s)).ToArray(),
            Population: (int)Number("population", defaults.Population),
            Generations: (int)Number("generations", defaults.Generations),
            Parents: (int)Number("parents", defaults.Parents),
            MutationProbability: Number("mutation", defaults.MutationProbability),
            CrossoverProbability: Number("crossover", defaults.CrossoverProbability),
            AttentionFactor: args.Optional("attention-factor") is { } a ? Parse("attention-factor", a) : null,
            ShortGenerations: (int)Number("short-generations", defaults.ShortGenerations),
            UnscaledTokens: args.Optional("unscaled-tokens")?.Split(',').Select(s => (int)Parse("unscaled-tokens", s)).ToArray(),
            Samples: (int)Number("samples", defaults.Samples),
            BatchSize: (int)Number("batch-size", defaults.BatchSize),
            Seed: (ulong)Number("seed", defaults.Seed)).Validate();
        using var cancel = CorpusVerb.CancelOnCtrlC();

        var length = (int)Math.Round(spec.Factor * LongRopeSearch.NativeWindow(model.Config));
        var samples = SearchSamples.Synthetic(text => tokenizer.Encode(text, addSpecialTokens: true), spec.Samples, length, spec.Seed);
        // Every generation of every stage, the short phase included, is one step of the bar.
        var total = spec.Stages.Count * (spec.Generations + 1) + spec.ShortGenerations + 1;
        var done = 0;
        RopeSearchResult result;
        using (var bar = new ProgressBar("searching"))
            result = LongRopeSearch.Run(model, samples, spec, new SynchronousProgress<RopeSearchProgress>(p =>
                bar.Report(++done / (double)total,
                    $"{p.Phase.ToString().ToLowerInvariant()} {p.Factor}x  generation {p.Generation}/{p.Generations}  best ppl {p.BestPerplexity:F3}  n̂ {p.BestUnscaledTokens}")),
                cancel.Token);

        var summary = new JsonObject
        {
            ["rope_scaling"] = result.RopeScalingJson(),
            ["max_position_embeddings"] = result.MaxPositionEmbeddings,
            ["long_perplexity"] = result.LongPerplexity,
            ["short_perplexity"] = result.ShortPerplexity,
            ["stages"] = new JsonArray(result.Stages.Select(s => (JsonNode)new JsonObject
            {
                ["phase"] = s.Phase.ToString().ToLowerInvariant(),
                ["factor"] = s.Factor,
                ["length"] = s.Length,
                ["initial_unscaled_tokens"] = s.InitialUnscaledTokens,
                ["perplexity"] = s.BestPerplexity,
                ["linear_perplexity"] = s.LinearPerplexity,
                ["evaluated"] = s.Evaluated,
                ["factors"] = new JsonArray(s.Factors.Select(f => (JsonNode)f).ToArray()),
            }).ToArray()),
        };
        if (args.Optional("out") is { } output) summary["config"] = result.Apply(model.Config).Save(output);
        if (result.Rope.TransformersProblem() is { } problem) Console.Error.WriteLine($"note: the engine reads this RoPE; {problem}");
        Console.WriteLine(summary.ToJsonString());
        return Task.FromResult(0);

        double Number(string name, double fallback) => args.Optional(name) is { } text ? Parse(name, text) : fallback;
    }

    private static double Parse(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"--{name} must be a number, got '{text}'");
}
