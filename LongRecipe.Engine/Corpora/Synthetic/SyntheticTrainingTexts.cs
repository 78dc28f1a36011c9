using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// Texts to train a tokenizer on without any download: the built-in synthetic corpus (long documents,
/// short documents, instruction pairs) plus passkey and needle samples, so every kind of text the lab
/// trains and evaluates on is seen.
/// </summary>
public static class SyntheticTrainingTexts
{
    /// <summary>
    /// <paramref name="documents"/> long documents of <paramref name="words"/> words, four times as many
    /// short documents and instruction pairs, and <paramref name="documents"/> passkey and needle samples
    /// of 512 words at spread depths; the same seed gives the same texts.
    /// </summary>
    public static IEnumerable<string> Generate(int documents, ulong seed = 0, int words = 2048)
    {
        if (documents < 1) throw new ArgumentException($"documents must be at least 1, not {documents}", nameof(documents));
        var spec = new SyntheticCorpusSpec(
            new LongDocumentSpec(words, Math.Max(1, words / 512), FactDistances.Between(Math.Max(1, words / 16), words / 2)), documents,
            new ShortDocumentSpec(), 4 * documents, new InstructionPairSpec(), 4 * documents, seed).Validate();
        foreach (var document in SyntheticCorpus.LongDocuments(spec)) yield return document.Text;
        foreach (var document in SyntheticCorpus.ShortDocuments(spec)) yield return document.Text;
        foreach (var pair in SyntheticCorpus.InstructionPairs(spec)) yield return pair.Prompt + " " + pair.Response;
        for (var i = 0; i < documents; i++)
        {
            var sampleSeed = SplitMix64.ForSample(seed, i).NextUInt64();
            var depth = 100.0 * i / Math.Max(1, documents - 1);
            var passkey = PasskeySample.Generate(new PasskeySpec(512, depth, Seed: sampleSeed));
            yield return $"{passkey.Context}\n{passkey.Question} {passkey.Answer}.";
            var needle = NeedleSample.Generate(new NeedleSpec(512, depth, (NeedleKind)(i % 3), sampleSeed));
            yield return $"{needle.Context}\n{needle.Question} {needle.Answer}";
        }
    }
}
