using System.Text.Json.Nodes;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization.Training;

namespace LongRecipe.Cli;

/// <summary>
/// tokenizer-train: train a byte-level BPE on corpus files (--sources a.jsonl,b.txt), on a real corpus's train split
/// (--corpus data/corpora/real) or on the built-in synthetic corpus (--synthetic [--documents 16] [--seed 0]) and save
/// tokenizer.json and tokenizer_config.json into --out.
/// </summary>
public static class TokenizerTrainVerb
{
    public static Task<int> RunAsync(Arguments args)
    {
        var output = Arguments.OutputFolder(args.Required("out"));
        // A model's tokenizer.json belongs to its weights: a new vocabulary there would make its ids mean other words.
        if (File.Exists(Path.Combine(output, PretrainedModel.ConfigFile)))
            throw new ArgumentException($"--out {output} holds a model ({PretrainedModel.ConfigFile}), whose tokenizer this would replace; write to another folder");
        var spec = new BpeTrainingSpec(
            VocabSize: args.Whole("vocab-size", 4096),
            MinFrequency: args.Whole("min-frequency", 2),
            ModelMaxLength: args.Whole("model-max-length", 131072)).Validate();
        var texts = Texts(args);
        using var cancel = new Interruption();
        TrainedBpe trained;
        using (var bar = new ProgressBar("merges"))
            trained = BpeTrainer.Train(texts, spec, new SynchronousProgress<BpeTrainingProgress>(p =>
            {
                if (p.Phase == "merging") bar.Report((double)p.Done / p.Total);
                else if (p.Done % 64 == 0) Console.Error.Write($"\rcounting words: {p.Done} texts");
            }), cancel.Token);
        trained.Save(output);
        Console.WriteLine(new JsonObject { ["out"] = output, ["vocab_size"] = trained.VocabSize, ["merges"] = trained.Merges.Count }.ToJsonString());
        return Task.FromResult(0);
    }

    private static IEnumerable<string> Texts(Arguments args)
    {
        var sources = args.Optional("sources");
        var corpus = args.Optional("corpus");
        if (new[] { args.Flag("synthetic"), sources is not null, corpus is not null }.Count(given => given) != 1)
            throw new ArgumentException("give one of --sources <a.jsonl,b.txt>, --corpus <real corpus folder> or --synthetic");
        if (corpus is not null)
            return RealCorpus.Open(corpus).Documents(CorpusSplit.Train).Select(d => d.Text);
        if (sources is null)
            return SyntheticTrainingTexts.Generate(args.Whole("documents", 16), args.Whole("seed", 0UL));
        var files = sources.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return WithText(files.SelectMany(source => CorpusReader.Read(source, CorpusVerb.Warn)).Select(d => d.TextToTokenize).OfType<string>(), files);
    }

    /// <summary>The texts as they are read; none at all (empty files, blank lines) throws, as `corpus` refuses a corpus with no tokens.</summary>
    private static IEnumerable<string> WithText(IEnumerable<string> texts, string[] sources)
    {
        var any = false;
        foreach (var text in texts)
        {
            any = true;
            yield return text;
        }
        if (!any) throw new CorpusFormatException($"the sources ({string.Join(", ", sources)}) have no text to train on");
    }
}
