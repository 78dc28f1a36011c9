using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Randomness;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Corpora.Retrieval;

/// <summary>
/// Passkey and needle samples to train on, in the evaluator's own prompt format (<see cref="RetrievalPrompts"/>):
/// pretraining mixes them in at the native window, a run's synthetic corpus at its training lengths.
/// </summary>
public static class RetrievalSamples
{
    private const ulong Stream = 0x9A55;

    /// <summary>
    /// <paramref name="sequences"/> with retrieval samples of <paramref name="length"/> put before them with
    /// probability <paramref name="ratio"/> (<see cref="SequencePacking.MixReplay"/>), as many samples as that needs.
    /// <paramref name="haystack"/> (length, seed → text) gives the needles real text to hide in; null keeps the
    /// synthetic haystacks.
    /// </summary>
    public static IReadOnlyList<int[]> Mix(IReadOnlyList<int[]> sequences, Tokenizer tokenizer, int length, double ratio, ulong seed,
        Func<int, ulong, string>? haystack = null)
    {
        // Each sample is drawn from its own index's seed, so building them in parallel changes nothing but the time.
        var samples = Enumerable.Range(0, Math.Max(1, (int)(sequences.Count * ratio))).AsParallel().AsOrdered()
            .Select(i => Sample(tokenizer, length, seed, i, haystack)).ToList();
        return SequencePacking.MixReplay(sequences, samples, ratio, seed).ToList();
    }

    /// <summary>
    /// Retrieval sample i of <paramref name="length"/> tokens: a passkey or a needle prompt (alternately) at a
    /// uniform depth, its answer, then end-of-text up to the length (the prompt and answer end a few tokens short
    /// of it). The seeds come from their own stream, so no sample repeats one the evaluator draws.
    /// </summary>
    public static int[] Sample(Tokenizer tokenizer, int length, ulong seed, int index, Func<int, ulong, string>? haystack = null)
    {
        var random = SplitMix64.ForSample(seed ^ Stream, index);
        var depth = 100 * random.NextDouble();
        var kind = (NeedleKind)(index / 2 % 3);
        var sampleSeed = random.NextUInt64();
        var prompt = index % 2 == 0 ? RetrievalPrompts.Passkey(tokenizer, length, depth, sampleSeed)
            : haystack is null ? RetrievalPrompts.Needle(tokenizer, length, depth, kind, sampleSeed)
            : RetrievalPrompts.NeedleInText(tokenizer, length, depth, kind, sampleSeed, haystack(length, sampleSeed));
        var ids = prompt.Ids.Concat(prompt.AnswerIds).Select(id => (int)id).ToList();
        var end = tokenizer.EosId ?? throw new ArgumentException("retrieval samples need a tokenizer with an end-of-text token");
        while (ids.Count < length) ids.Add(end);
        return [.. ids];
    }
}
