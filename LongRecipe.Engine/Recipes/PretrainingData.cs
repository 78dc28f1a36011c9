using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// Pretraining data: the train split of the real-text corpus in <paramref name="Corpus"/> (the whole split; the
/// trainer goes round it as often as its steps need), or, when null, about <paramref name="Tokens"/> tokens of the
/// built-in synthetic corpus (70% long documents with facts referred to within a window, 30% short documents);
/// packed into sequences of <paramref name="SequenceLength"/>, with retrieval samples (passkeys, and needles hidden in
/// the corpus's own train documents or in synthetic text, in the evaluator's own prompt format,
/// <see cref="RetrievalSamples"/>) of that length mixed in at <paramref name="RetrievalRatio"/> (replay-style), so a
/// model learns retrieval within its native context. Everything is drawn from <paramref name="Seed"/>.
/// </summary>
public sealed record PretrainingDataSpec(int SequenceLength, long Tokens, ulong Seed = 0, double RetrievalRatio = 0.25, string? Corpus = null)
{
    /// <summary>Beyond this many tokens the corpus repeats (epochs) rather than grows.</summary>
    public const long MaxTokens = 4_000_000;

    public PretrainingDataSpec Validate()
    {
        if (SequenceLength < 16) throw new ArgumentException($"SequenceLength must be at least 16, not {SequenceLength}", nameof(SequenceLength));
        if (Tokens < SequenceLength) throw new ArgumentException($"Tokens ({Tokens}) must hold at least one sequence of {SequenceLength}", nameof(Tokens));
        if (RetrievalRatio is <= 0 or > 1) throw new ArgumentException($"RetrievalRatio must be in (0, 1], not {RetrievalRatio}", nameof(RetrievalRatio));
        return this;
    }
}

public static class PretrainingData
{
    private const double LongShare = 0.7;
    private const int ShortDocumentWords = 275;

    /// <summary>
    /// Writes the corpus to &lt;folder&gt;/synthetic.jsonl, tokenizes it into the token store
    /// &lt;folder&gt;/tokens (reused when unchanged, as on a resume), and returns the packed and mixed sequences.
    /// </summary>
    public static IReadOnlyList<int[]> Build(PretrainingDataSpec spec, string tokenizerPath, string folder,
        IProgress<TokenStoreProgress>? progress = null, CancellationToken cancel = default)
    {
        spec.Validate();
        var tokenizer = Tokenizer.Load(tokenizerPath);
        if (spec.Corpus is { } real) return FromRealCorpus(spec, real, tokenizer, tokenizerPath, progress, cancel);
        Directory.CreateDirectory(folder);
        var source = Path.Combine(folder, "synthetic.jsonl");
        var corpus = Corpus(spec);
        SyntheticCorpus.WriteJsonLines(source,
            SyntheticCorpus.LongDocuments(corpus).Select(d => d.Text).Concat(SyntheticCorpus.ShortDocuments(corpus).Select(d => d.Text)), cancel);
        List<int[]> sequences;
        using (var store = TokenStore.Build([source], tokenizerPath, Path.Combine(folder, "tokens"), progress, cancel))
            sequences = SequencePacking.Pack(store, spec.SequenceLength, tokenizer.EosId).ToList();
        if (sequences.Count == 0) throw new ArgumentException($"the corpus is shorter than one sequence of {spec.SequenceLength} tokens");
        return RetrievalSamples.Mix(sequences, tokenizer, spec.SequenceLength, spec.RetrievalRatio, spec.Seed);
    }

    private static IReadOnlyList<int[]> FromRealCorpus(PretrainingDataSpec spec, string folder, Tokenizer tokenizer, string tokenizerPath,
        IProgress<TokenStoreProgress>? progress, CancellationToken cancel)
    {
        var corpus = RealCorpus.Open(folder);
        List<int[]> sequences;
        using (var store = corpus.Tokenized(tokenizerPath, progress, cancel))
        {
            var train = corpus.Manifest.Documents.Select((d, i) => (d.Split, i)).Where(d => d.Split == CorpusSplit.Train).Select(d => store.Document(d.i).ToArray());
            sequences = [.. SequencePacking.Pack(train, spec.SequenceLength, tokenizer.EosId)];
        }
        if (sequences.Count == 0) throw new ArgumentException($"{folder}: the train split is shorter than one sequence of {spec.SequenceLength} tokens");
        using var haystacks = TrainingHaystacks.Open(folder, tokenizer, tokenizerPath, cancel);
        return RetrievalSamples.Mix(sequences, tokenizer, spec.SequenceLength, spec.RetrievalRatio, spec.Seed, haystacks.Text);
    }

    /// <summary>Long documents a little longer than a sequence, facts referred to a quarter to a half of it later.</summary>
    private static SyntheticCorpusSpec Corpus(PretrainingDataSpec spec)
    {
        var words = TextMeasure.WordsForTokens((int)Math.Min(spec.Tokens, PretrainingDataSpec.MaxTokens));
        var longWords = Math.Max(128, spec.SequenceLength);
        var longDocument = new LongDocumentSpec(longWords, Math.Max(1, longWords / 256), FactDistances.Between(longWords / 4, longWords / 2));
        return new SyntheticCorpusSpec(longDocument, (int)Math.Ceiling(words * LongShare / longWords),
            new ShortDocumentSpec(), (int)Math.Ceiling(words * (1 - LongShare) / ShortDocumentWords), new InstructionPairSpec(), 0, spec.Seed).Validate();
    }
}
