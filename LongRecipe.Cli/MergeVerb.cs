using System.Text.Json.Nodes;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Cli;

/// <summary>
/// merge: --base <dir> --model <dir[,dir…]> --method average|weighted|ties|slerp [--alpha 0.5] [--density 0.2]
/// --out <dir>. average is the mean of the base and every --model, the base counting as one of them: one model
/// gives (base + model) / 2, as the paper merges the extended model with the original. weighted and slerp read
/// --alpha (the model's share), ties reads --density; an option the method does not read is refused. The result has
/// the first model's config, dtype and tokenizer; one JSON line on stdout, with the alpha or density the method read.
/// Ctrl-C or SIGTERM stops it leaving --out as it was.
/// </summary>
public static class MergeVerb
{
    public static Task<int> RunAsync(Arguments args)
    {
        var method = args.Optional("method") ?? "average";
        var spec = new MergeSpec(
            Enum.TryParse<MergeMethod>(method, ignoreCase: true, out var parsed) ? parsed
                : throw new ArgumentException($"--method must be average, weighted, ties or slerp, not '{method}'"),
            args.Number("alpha", 0.5), args.Number("density", 0.2)).Validate();
        var name = spec.Method.ToString().ToLowerInvariant();
        // An ignored value would look used: --method ties --alpha 0 and --alpha 1 gave one model.
        if (!spec.ReadsAlpha && args.Optional("alpha") is not null) throw new ArgumentException($"--alpha is not read by --method {name}; {MergeSpec.AlphaReaders} read it");
        if (!spec.ReadsDensity && args.Optional("density") is not null) throw new ArgumentException($"--density is not read by --method {name}; {MergeSpec.DensityReaders} reads it");
        var named = args.Required("model");
        var paths = named.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paths.Length == 0) throw new ArgumentException($"--model must name at least one model directory (comma-separated), not '{named}'");
        var baseDirectory = args.Required("base");
        var output = Arguments.OutputFolder(args.Required("out"), [("base", baseDirectory), .. paths.Select(p => ("model", p))]);

        using var cancel = new Interruption();
        using var baseModel = args.LoadModel(baseDirectory, device: null);
        var models = new List<LlamaModel>();
        try
        {
            foreach (var path in paths)
            {
                models.Add(args.LoadModel(path, device: null));
                if (ModelMerge.Difference(baseModel.Parameters, models[^1].Parameters) is { } difference)
                    throw new ArgumentException($"--model {path} cannot be merged with --base {baseDirectory}: it {difference}");
            }
            using (var bar = new ProgressBar($"{name} merge"))
                ModelMerge.Merge(models[0], baseModel, models, spec, new SynchronousProgress<double>(bar.Report), cancel.Token);
            PretrainedModel.SaveWhole(models[0], output, paths[0], cancel: cancel.Token);
        }
        finally
        {
            foreach (var model in models) model.Dispose();
        }
        var summary = new JsonObject { ["out"] = output, ["method"] = name };
        if (spec.ReadsAlpha) summary["alpha"] = spec.Alpha;
        if (spec.ReadsDensity) summary["density"] = spec.Density;
        summary["models"] = new JsonArray([.. paths.Select(p => (JsonNode)p)]);
        Console.WriteLine(summary.ToJsonString());
        return Task.FromResult(0);
    }
}
