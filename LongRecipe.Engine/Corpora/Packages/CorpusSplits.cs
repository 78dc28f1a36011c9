using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>The three parts of the real corpus; whole documents, never pieces of one, go to each.</summary>
public enum CorpusSplit
{
    /// <summary>Training and replay data.</summary>
    Train,
    /// <summary>Held out for choices made while experimenting (learning rates, steps).</summary>
    Validation,
    /// <summary>Held out for the reported evaluation.</summary>
    Test,
}

/// <summary>
/// The fixed split of whole documents: a document's place u ∈ [0, 1) is the first 8 bytes of SHA-256("split:" + id)
/// over 2⁶⁴; u &lt; 0.90 is train, u &lt; 0.95 validation, the rest test. So a document's split depends on its id
/// alone: it does not move when other documents come or go (a package update), and never depends on a tokenizer.
/// One correction keeps evaluation at long contexts possible: when validation or test would hold fewer than
/// <see cref="MinLongHeldOut"/> documents of <see cref="LongDocumentBytes"/> or more, the long train documents
/// with the largest u (the nearest to being held out) move there, as long as train keeps one.
/// </summary>
public static class CorpusSplits
{
    /// <summary>Train takes u &lt; 0.90, validation u &lt; 0.95 (ends, not shares: 0.90 + 0.05 is not 0.95 in binary).</summary>
    public const double TrainEnd = 0.90, ValidationEnd = 0.95;

    /// <summary>64 KiB of UTF-8, about 16k Llama-3 tokens of English.</summary>
    public const long LongDocumentBytes = 64 * 1024;

    public const int MinLongHeldOut = 2;

    /// <summary>The document's place u ∈ [0, 1).</summary>
    public static double Position(string id) => Place("split:" + id);

    /// <summary>A key's place in [0, 1): its SHA-256's first 53 bits, the same on every machine (seeded orders use it too).</summary>
    public static double Place(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>The split of a document at place <paramref name="u"/>, before the correction for long documents.</summary>
    public static CorpusSplit At(double u) => u < TrainEnd ? CorpusSplit.Train : u < ValidationEnd ? CorpusSplit.Validation : CorpusSplit.Test;

    /// <summary>The split of each document (by id), given each one's length in UTF-8 bytes.</summary>
    public static Dictionary<string, CorpusSplit> Assign(IReadOnlyList<(string Id, long Bytes)> documents)
    {
        var splits = documents.ToDictionary(d => d.Id, d => At(Position(d.Id)), StringComparer.Ordinal);
        var longTrain = documents.Where(d => d.Bytes >= LongDocumentBytes && splits[d.Id] == CorpusSplit.Train)
            .OrderByDescending(d => Position(d.Id)).Select(d => d.Id).ToList();
        foreach (var heldOut in new[] { CorpusSplit.Test, CorpusSplit.Validation })
        {
            var have = documents.Count(d => d.Bytes >= LongDocumentBytes && splits[d.Id] == heldOut);
            for (; have < MinLongHeldOut && longTrain.Count > 1; have++)
            {
                splits[longTrain[0]] = heldOut;
                longTrain.RemoveAt(0);
            }
        }
        return splits;
    }
}
