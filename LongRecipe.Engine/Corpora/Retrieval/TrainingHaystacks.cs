using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Randomness;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Corpora.Retrieval;

/// <summary>
/// A real corpus's train documents as haystacks for the needles a model trains on (the evaluation hides its own in
/// held-out documents): for a context length and a seed, an excerpt of a train document long enough for it, read
/// from the corpus's shared token store and decoded, starting at a word. Safe to call from several threads.
/// </summary>
public sealed class TrainingHaystacks : IDisposable
{
    // The excerpt's tokens beyond the context's: room for the prompt builder to cut at a word.
    private const double Margin = 1.25;

    private readonly TokenStore store;
    private readonly int[] train;
    private readonly Tokenizer tokenizer;
    private readonly string folder;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int[]> longEnough = new();

    private TrainingHaystacks(TokenStore store, int[] train, Tokenizer tokenizer, string folder) =>
        (this.store, this.train, this.tokenizer, this.folder) = (store, train, tokenizer, folder);

    public static TrainingHaystacks Open(string corpusFolder, Tokenizer tokenizer, string tokenizerPath, CancellationToken cancel = default)
    {
        var corpus = RealCorpus.Open(corpusFolder);
        var train = corpus.Manifest.Documents.Select((d, i) => (d.Split, i)).Where(d => d.Split == CorpusSplit.Train).Select(d => d.i).ToArray();
        return new TrainingHaystacks(corpus.Tokenized(tokenizerPath, cancel: cancel), train, tokenizer, corpusFolder);
    }

    /// <summary>
    /// An excerpt of about 1.25 × <paramref name="contextLength"/> tokens from a train document that holds that many,
    /// document and offset drawn from <paramref name="seed"/>, its first partial word dropped.
    /// </summary>
    public string Text(int contextLength, ulong seed)
    {
        var needed = (int)(contextLength * Margin);
        var candidates = longEnough.GetOrAdd(needed, n => [.. train.Where(i => store.Document(i).Length > n)]);
        if (candidates.Length == 0)
            throw new ArgumentException($"the train split of {folder} holds no document of more than {needed} tokens for a needle's haystack at {contextLength}");
        var random = SplitMix64.ForSample(seed, 0);
        var document = store.Document(candidates[(int)(random.NextUInt64() % (ulong)candidates.Length)]);
        // Skip BOS: the excerpt is text in the middle of a prompt.
        var start = 1 + (int)(random.NextUInt64() % (ulong)(document.Length - needed));
        var text = tokenizer.Decode(document.Slice(start, needed).ToArray());
        var word = text.IndexOfAny([' ', '\n']);
        return word < 0 ? text : text[(word + 1)..];
    }

    public void Dispose() => store.Dispose();
}
