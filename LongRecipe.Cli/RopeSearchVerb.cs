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
        var output = ConfigOutput(args.Optional("out"), directory);
        var tokenizer = Tokenizer.Load(args.Optional("tokenizer") ?? directory);
        using var model = args.LoadModel(directory, args.Device);
        var defaults = new RopeSearchSpec();
        var spec = Arguments.NamingOptions(() => new RopeSearchSpec(
            Factor: args.Number("factor", defaults.Factor),
            Progressive: args.Numbers("progressive"),
            Population: args.Whole("population", defaults.Population),
            Generations: args.Whole("generations", defaults.Generations),
            Parents: args.Whole("parents", defaults.Parents),
            MutationProbability: args.Number("mutation", defaults.MutationProbability),
            CrossoverProbability: args.Number("crossover", defaults.CrossoverProbability),
            AttentionFactor: args.OptionalNumber("attention-factor"),
            ShortGenerations: args.Whole("short-generations", defaults.ShortGenerations),
            UnscaledTokens: args.Wholes<int>("unscaled-tokens"),
            Samples: args.Whole("samples", defaults.Samples),
            BatchSize: args.Whole("batch-size", defaults.BatchSize),
            Seed: args.Whole("seed", defaults.Seed)).Validate(), Options);
        using var cancel = new Interruption();

        var length = (int)Math.Round(spec.Factor * LongRopeSearch.NativeWindow(model.Config));
        if (MemoryBounds.ForwardProblem(model.Config, spec.BatchSize, length, args.Device) is { } tooLarge)
            throw new ArgumentException($"--factor {spec.Factor}: {tooLarge}");
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
        if (output is not null) summary["config"] = result.Apply(model.Config).Save(output);
        if (result.Rope.TransformersProblem() is { } problem) Console.Error.WriteLine($"note: the engine reads this RoPE; {problem}");
        Console.WriteLine(summary.ToJsonString());
        return Task.FromResult(0);
    }

    /// <summary>The spec's fields by the options that set them (<see cref="Arguments.NamingOptions"/>).</summary>
    private static readonly Dictionary<string, string> Options = new()
    {
        [nameof(RopeSearchSpec.Factor)] = "factor",
        [nameof(RopeSearchSpec.Progressive)] = "progressive",
        [nameof(RopeSearchSpec.Population)] = "population",
        [nameof(RopeSearchSpec.Generations)] = "generations",
        [nameof(RopeSearchSpec.Parents)] = "parents",
        [nameof(RopeSearchSpec.MutationProbability)] = "mutation",
        [nameof(RopeSearchSpec.CrossoverProbability)] = "crossover",
        [nameof(RopeSearchSpec.AttentionFactor)] = "attention-factor",
        [nameof(RopeSearchSpec.ShortGenerations)] = "short-generations",
        [nameof(RopeSearchSpec.UnscaledTokens)] = "unscaled-tokens",
        [nameof(RopeSearchSpec.Samples)] = "samples",
        [nameof(RopeSearchSpec.BatchSize)] = "batch-size",
    };

    /// <summary>
    /// --out, checked before the search: a folder (which gets config.json) or a .json file, never the searched model's own
    /// config.json, which the search reads and a later search would start from.
    /// </summary>
    private static string? ConfigOutput(string? output, string model)
    {
        if (output is null) return null;
        var json = output.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        var (folder, file) = json ? (Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileName(output)) : (output, PretrainedModel.ConfigFile);
        Arguments.OutputFolder(folder, file == PretrainedModel.ConfigFile ? [("model", model)] : []);
        return output;
    }
}
