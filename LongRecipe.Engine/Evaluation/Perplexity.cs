using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Evaluation;

/// <summary>
/// Perplexity exp(Σ −log p / n) over token rows, each token predicted from the ones before it in its row
/// (a row of k tokens contributes k − 1 predictions), and the held-out rows it is measured on.
/// </summary>
public static class Perplexity
{
    /// <summary>
    /// The summed negative log-likelihood and the number of predicted tokens over <paramref name="rows"/>;
    /// rows of equal length share forwards, <paramref name="batchSize"/> at a time.
    /// </summary>
    public static (double Nll, long Tokens) Measure(LlamaModel model, IReadOnlyList<long[]> rows, int batchSize, CancellationToken cancel = default)
    {
        var (nll, tokens) = (0.0, 0L);
        foreach (var group in rows.GroupBy(r => r.Length))
        {
            foreach (var batch in group.Chunk(batchSize))
            {
                cancel.ThrowIfCancellationRequested();
                foreach (var logProbs in Scoring.LogProbs(model, batch))
                {
                    nll -= logProbs.Sum();
                    tokens += logProbs.Length;
                }
            }
        }
        return (nll, tokens);
    }

    /// <summary>
    /// Bits per byte of the same predictions: Σ −log p / ln 2 over the UTF-8 bytes of the text the predicted tokens
    /// (every row's tokens after its first) decode to. Unlike perplexity it does not depend on the tokenizer.
    /// </summary>
    public static double BitsPerByte(double nll, Tokenizer tokenizer, IReadOnlyList<long[]> rows) =>
        nll / Math.Log(2) / rows.Sum(r => (long)System.Text.Encoding.UTF8.GetByteCount(tokenizer.Decode([.. r.Skip(1).Select(id => (int)id)])));

    public static double Of(LlamaModel model, IReadOnlyList<long[]> rows, int batchSize, CancellationToken cancel = default)
    {
        var (nll, tokens) = Measure(model, rows, batchSize, cancel);
        return Math.Exp(nll / tokens);
    }

    /// <summary>
    /// <paramref name="count"/> synthetic long documents of at least <paramref name="length"/> tokens (BOS
    /// included), cut to that length; the same seed gives the same documents.
    /// </summary>
    public static IReadOnlyList<long[]> LongDocuments(Tokenizer tokenizer, int length, int count, ulong seed)
    {
        var documents = new List<long[]>(count);
        for (var i = 0; i < count; i++)
        {
            // Sentences are measured one at a time, and the joined text can encode to a percent or so fewer
            // tokens: plan long, and plan again longer by what was missing.
            var planned = length + length / 32 + 16;
            var ids = Document(tokenizer, planned, Draw.DeriveSeed(seed, (ulong)i));
            for (var attempt = 0; attempt < 3 && ids.Length < length; attempt++)
            {
                planned += 2 * (length - ids.Length);
                ids = Document(tokenizer, planned, Draw.DeriveSeed(seed, (ulong)i));
            }
            if (ids.Length < length) throw new InvalidOperationException($"a long document of {planned} planned tokens encoded to only {ids.Length}, fewer than {length}");
            documents.Add([.. ids.Take(length).Select(id => (long)id)]);
        }
        return documents;
    }

    // One fact (stated, then referred back to) per 1k tokens; documents too short for one have none.
    private static int[] Document(Tokenizer tokenizer, int planned, ulong seed)
    {
        var spec = new LongDocumentSpec(planned, planned / 1024, FactDistances.Between(planned / 16, planned / 2), seed);
        return tokenizer.Encode(LongDocument.Generate(spec, RetrievalPrompts.Counter(tokenizer)).Text, addSpecialTokens: true);
    }

    /// <summary><paramref name="count"/> synthetic short documents (BOS included), each cut to at most <paramref name="maxLength"/> tokens.</summary>
    public static IReadOnlyList<long[]> ShortDocuments(Tokenizer tokenizer, int maxLength, int count, ulong seed) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            var text = ShortDocument.Generate(new ShortDocumentSpec(Seed: Draw.DeriveSeed(seed, (ulong)i))).Text;
            return tokenizer.Encode(text, addSpecialTokens: true).Take(maxLength).Select(id => (long)id).ToArray();
        })];
}
