using System.Text;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Evaluation;

/// <summary>
/// A held-out split of a real-text corpus as an evaluation draws on it: documents in an order the seed fixes (each
/// id's place is SHA-256 of "eval:SEED:ID"), only those long enough for the length asked, each encoded once (BOS
/// included) when first reached.
/// </summary>
public sealed class HeldOutText
{
    private readonly IReadOnlyList<RealDocument> documents;
    private readonly Tokenizer tokenizer;
    private readonly string name;
    private readonly Dictionary<string, int[]> encoded = new(StringComparer.Ordinal);

    private HeldOutText(IReadOnlyList<RealDocument> documents, Tokenizer tokenizer, string name) =>
        (this.documents, this.tokenizer, this.name) = (documents, tokenizer, name);

    /// <summary>The <paramref name="split"/> documents of the corpus in <paramref name="corpusFolder"/>.</summary>
    public static HeldOutText Load(string corpusFolder, CorpusSplit split, Tokenizer tokenizer, CancellationToken cancel = default)
    {
        var documents = RealCorpus.Open(corpusFolder).Documents(split, cancel).ToList();
        var name = $"the {split.ToString().ToLowerInvariant()} split of {corpusFolder}";
        return documents.Count > 0 ? new HeldOutText(documents, tokenizer, name) : throw new ArgumentException($"{name} holds no documents");
    }

    /// <summary>
    /// The first <paramref name="length"/> token ids (BOS included) of each of <paramref name="count"/> documents of
    /// at least that many tokens; too few such documents throws, naming the split and the length.
    /// </summary>
    public IReadOnlyList<long[]> Windows(int length, int count, ulong seed)
    {
        var chosen = Long(length, seed).Take(count).ToList();
        if (chosen.Count < count)
            throw new ArgumentException($"{name} holds {chosen.Count} documents of {length} tokens or more, {count} asked (ask fewer, or shorter lengths)");
        return [.. chosen.Select(ids => ids[..length].Select(id => (long)id).ToArray())];
    }

    /// <summary>The text of the seed's first document of at least <paramref name="length"/> tokens, for a needle's haystack.</summary>
    public string Haystack(int length, ulong seed)
    {
        foreach (var document in Order(length, seed))
            if (Ids(document).Length >= length) return document.Text;
        throw new ArgumentException($"{name} holds no document of {length} tokens or more for a needle's haystack");
    }

    private IEnumerable<int[]> Long(int length, ulong seed) => Order(length, seed).Select(Ids).Where(ids => ids.Length >= length);

    // A token covers at least a byte, so a document of fewer bytes (plus BOS and a prefix space) is never long enough.
    private IEnumerable<RealDocument> Order(int length, ulong seed) =>
        documents.Where(d => Encoding.UTF8.GetByteCount(d.Text) + 2 >= length)
            .OrderBy(d => CorpusSplits.Place($"eval:{seed}:{d.Id}")).ThenBy(d => d.Id, StringComparer.Ordinal);

    private int[] Ids(RealDocument document)
    {
        if (!encoded.TryGetValue(document.Id, out var ids)) encoded[document.Id] = ids = tokenizer.Encode(document.Text, addSpecialTokens: true);
        return ids;
    }
}
