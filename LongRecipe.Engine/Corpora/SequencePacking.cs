using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Corpora;

/// <summary>Turns a token store into training sequences of one length, and mixes in replay data.</summary>
public static class SequencePacking
{
    /// <summary>
    /// Concatenates the documents in order, each followed by <paramref name="separatorId"/> when
    /// given (an end-of-text token), and cuts the stream into sequences of exactly
    /// <paramref name="length"/> tokens; the last partial sequence is dropped.
    /// </summary>
    public static IEnumerable<int[]> Pack(TokenStore store, int length, int? separatorId = null) =>
        Pack(store.Documents(), length, separatorId);

    /// <summary>The same over documents in memory (e.g. shortened by sentence selection).</summary>
    public static IEnumerable<int[]> Pack(IEnumerable<int[]> documents, int length, int? separatorId = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        var sequence = new int[length];
        var filled = 0;
        foreach (var document in documents)
        {
            foreach (var token in separatorId is { } separator ? [.. document, separator] : document)
            {
                sequence[filled++] = token;
                if (filled < length) continue;
                yield return sequence;
                sequence = new int[length];
                filled = 0;
            }
        }
    }

    /// <summary>
    /// The first <paramref name="length"/> tokens of each document, one sequence per document — for
    /// schemes that need a document's own sentences (LongRecipe's). A shorter document is an error
    /// naming it.
    /// </summary>
    public static IEnumerable<int[]> PerDocument(TokenStore store, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        for (var d = 0; d < store.DocumentCount; d++)
        {
            var document = store.Document(d);
            if (document.Length < length)
                throw new CorpusFormatException($"{store.Folder}: document {d} has {document.Length} tokens, fewer than the sequence length {length}");
            yield return document[..length].ToArray();
        }
    }

    /// <summary>
    /// Every sequence of <paramref name="main"/> in order, with a replay sequence put before it with
    /// probability <paramref name="ratio"/>, so replay makes up about ratio / (1 + ratio) of the
    /// output; the replay sequences cycle when they run out. Seeded.
    /// </summary>
    public static IEnumerable<int[]> MixReplay(IEnumerable<int[]> main, IReadOnlyList<int[]> replay, double ratio, ulong seed)
    {
        if (ratio is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "the replay ratio must be in (0, 1]");
        if (replay.Count == 0) throw new ArgumentException("the replay corpus has no sequences", nameof(replay));
        var random = new SplitMix64(seed);
        var next = 0;
        foreach (var sequence in main)
        {
            if (random.NextDouble() < ratio) yield return replay[next++ % replay.Count];
            yield return sequence;
        }
    }
}
