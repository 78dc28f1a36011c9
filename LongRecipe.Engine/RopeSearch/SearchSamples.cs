using LongRecipe.Engine.Corpora.Synthetic;

namespace LongRecipe.Engine.RopeSearch;

/// <summary>Long token samples for the search's fitness, from the built-in synthetic corpus.</summary>
public static class SearchSamples
{
    /// <summary>
    /// <paramref name="count"/> samples of exactly <paramref name="length"/> tokens: the beginnings of
    /// synthetic long documents (seeded by <paramref name="seed"/>, measured in tokens of
    /// <paramref name="encode"/>), one document each. Different seeds give disjoint draws, e.g. a
    /// held-out set beside the search set.
    /// </summary>
    public static long[][] Synthetic(Func<string, int[]> encode, int count, int length, ulong seed = 0)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "at least one sample is needed");
        if (length < 16) throw new ArgumentOutOfRangeException(nameof(length), length, "samples need at least 16 tokens");
        // A margin past the length, as sentence boundaries rarely land on it exactly; at least 1024 tokens,
        // so that a fact and its references fit however long the tokenizer's tokens are.
        var target = Math.Max(length + length / 8 + 16, 1024);
        var document = new LongDocumentSpec(target, Math.Max(1, target / 2048), FactDistances.At(target / 8, target / 2));
        var corpus = new SyntheticCorpusSpec(document, count, new ShortDocumentSpec(), 0, new InstructionPairSpec(), 0, seed);
        return SyntheticCorpus.LongDocuments(corpus, text => encode(text).Length)
            .Select((doc, i) =>
            {
                var ids = encode(doc.Text);
                if (ids.Length < length)
                    throw new InvalidOperationException($"synthetic document {i} has {ids.Length} tokens, fewer than the {length} asked for");
                return ids[..length].Select(id => (long)id).ToArray();
            })
            .ToArray();
    }
}
