using System.Text;
using System.Text.Json.Nodes;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Randomness;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Training;

/// <summary>
/// The built-in pretraining data: about <paramref name="Tokens"/> tokens of the synthetic corpus
/// (70% long documents with facts referred to within a window, 30% short documents), packed into
/// sequences of <paramref name="SequenceLength"/>, with passkey samples of exactly that length mixed
/// in at <paramref name="PasskeyRatio"/> (replay-style), so a model learns passkey retrieval at its
/// native context. Everything is drawn from <paramref name="Seed"/>.
/// </summary>
public sealed record PretrainingDataSpec(int SequenceLength, long Tokens, ulong Seed = 0, double PasskeyRatio = 0.25)
{
    /// <summary>Beyond this many tokens the corpus repeats (epochs) rather than grows.</summary>
    public const long MaxTokens = 4_000_000;

    public PretrainingDataSpec Validate()
    {
        if (SequenceLength < 16) throw new ArgumentException($"SequenceLength must be at least 16, not {SequenceLength}", nameof(SequenceLength));
        if (Tokens < SequenceLength) throw new ArgumentException($"Tokens ({Tokens}) must hold at least one sequence of {SequenceLength}", nameof(Tokens));
        if (PasskeyRatio is <= 0 or > 1) throw new ArgumentException($"PasskeyRatio must be in (0, 1], not {PasskeyRatio}", nameof(PasskeyRatio));
        return this;
    }
}

public static class PretrainingData
{
    private const double LongShare = 0.7;
    private const int ShortDocumentWords = 275;
    private const ulong PasskeyStream = 0x9A55;

    /// <summary>
    /// Writes the corpus to &lt;folder&gt;/synthetic.jsonl, tokenizes it into the token store
    /// &lt;folder&gt;/tokens (reused when unchanged, as on a resume), and returns the packed and mixed sequences.
    /// </summary>
    public static IReadOnlyList<int[]> Build(PretrainingDataSpec spec, string tokenizerPath, string folder,
        IProgress<TokenStoreProgress>? progress = null, CancellationToken cancel = default)
    {
        spec.Validate();
        var tokenizer = Tokenizer.Load(tokenizerPath);
        Directory.CreateDirectory(folder);
        var source = Path.Combine(folder, "synthetic.jsonl");
        AtomicFile.Write(source, stream => WriteCorpus(stream, Corpus(spec), cancel));
        List<int[]> sequences;
        using (var store = TokenStore.Build([source], tokenizerPath, Path.Combine(folder, "tokens"), progress, cancel))
            sequences = SequencePacking.Pack(store, spec.SequenceLength, tokenizer.EosId).ToList();
        if (sequences.Count == 0) throw new ArgumentException($"the corpus is shorter than one sequence of {spec.SequenceLength} tokens");
        var passkeys = Enumerable.Range(0, Math.Max(1, (int)(sequences.Count * spec.PasskeyRatio)))
            .Select(i => Passkey(spec, tokenizer, i)).OfType<int[]>().ToList();
        return SequencePacking.MixReplay(sequences, passkeys, spec.PasskeyRatio, spec.Seed).ToList();
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

    private static void WriteCorpus(Stream stream, SyntheticCorpusSpec corpus, CancellationToken cancel)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        foreach (var text in SyntheticCorpus.LongDocuments(corpus).Select(d => d.Text).Concat(SyntheticCorpus.ShortDocuments(corpus).Select(d => d.Text)))
        {
            cancel.ThrowIfCancellationRequested();
            writer.WriteLine(new JsonObject { ["text"] = text }.ToJsonString());
        }
    }

    /// <summary>
    /// Passkey sample i as exactly one sequence: the context, the question and the 5-digit answer,
    /// the key 10–90% of the way in. Token counts do not add up exactly across joins, so the context
    /// grows until the whole reaches the length, and the surplus is cut from the front (filler); null
    /// in the rare case it never does.
    /// </summary>
    private static int[]? Passkey(PretrainingDataSpec spec, Tokenizer tokenizer, int index)
    {
        var random = SplitMix64.ForSample(spec.Seed ^ PasskeyStream, index);
        var depth = 10 + 80 * random.NextDouble();
        var context = spec.SequenceLength - tokenizer.Encode($" {PasskeySample.QuestionText} 12345", addSpecialTokens: true).Length;
        for (var attempt = 0; attempt < 4 && context > 0; attempt++)
        {
            var sample = PasskeySample.Generate(new PasskeySpec(context, depth, Digits: 5, Seed: random.NextUInt64()),
                text => tokenizer.Encode(text, addSpecialTokens: false).Length);
            var ids = tokenizer.Encode($"{sample.Context} {sample.Question} {sample.Answer}", addSpecialTokens: true);
            if (ids.Length >= spec.SequenceLength) return ids[^spec.SequenceLength..];
            context += spec.SequenceLength - ids.Length;
        }
        return null;
    }
}
