using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>Per-token log-probabilities under a model: the numbers perplexity, Δ(t) and needle scores are made of.</summary>
public static class Scoring
{
    /// <summary>Positions mapped to the vocabulary at once; bounds the f32 logits held (chunk × vocab).</summary>
    private const long Chunk = 1024;

    /// <summary>
    /// log p(ids[i+1] | ids[0..i]) for i = 0 … n−2 (n−1 values), at <paramref name="positionIds"/>
    /// (0 … n−1 when null). Log-softmax runs in f32 whatever the model's dtype.
    /// </summary>
    public static double[] LogProbs(LlamaModel model, IReadOnlyList<long> inputIds, IReadOnlyList<long>? positionIds = null) =>
        LogProbs(model, [inputIds], positionIds is null ? null : [positionIds])[0];

    /// <summary>
    /// The same for a batch of equally long rows in one forward, each row at its own positions
    /// (position-dependent RoPE variants then see the batch's largest position, as transformers does).
    /// With <paramref name="skip"/>, only the predictions i ≥ skip are mapped to the vocabulary and
    /// returned (n−1−skip values a row): a long prompt's answer is scored without the prompt's logits.
    /// </summary>
    public static double[][] LogProbs(LlamaModel model, IReadOnlyList<IReadOnlyList<long>> inputIds,
        IReadOnlyList<IReadOnlyList<long>>? positionIds = null, int skip = 0)
    {
        var (rows, n) = (inputIds.Count, inputIds[0].Count);
        if (n < 2) throw new ArgumentException("scoring needs at least two tokens", nameof(inputIds));
        if (skip < 0 || skip > n - 2) throw new ArgumentException($"skip must be in [0, {n - 2}] for rows of {n} tokens, not {skip}", nameof(skip));
        if (inputIds.Any(r => r.Count != n)) throw new ArgumentException("every row needs the same number of tokens", nameof(inputIds));
        if (positionIds is not null && (positionIds.Count != rows || positionIds.Any(r => r.Count != n)))
            throw new ArgumentException("position ids must have the shape of the input ids", nameof(positionIds));
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        var ids = Tensor.FromArray(inputIds.SelectMany(r => r).ToArray(), [rows, n], device: model.Device);
        var positions = positionIds is null
            ? Tensor.Arange(n, device: model.Device).Unsqueeze(0).Expand(rows, n)
            : Tensor.FromArray(positionIds.SelectMany(r => r).ToArray(), [rows, n], device: model.Device);
        var hidden = model.Hidden(ids, positions);
        var result = Enumerable.Range(0, rows).Select(_ => new double[n - 1 - skip]).ToArray();
        for (long start = skip; start < n - 1; start += Chunk)
        {
            using var chunkScope = DisposeScope.Enter();
            var length = Math.Min(Chunk, n - 1 - start);
            var logits = model.Logits(hidden.Narrow(1, start, length)).To(DType.Float32);
            var next = ids.Narrow(1, start + 1, length).Unsqueeze(-1);
            var picked = Functional.LogSoftmax(logits, -1).Gather(-1, next).ToArray<float>();
            for (var r = 0; r < rows; r++)
                for (var i = 0; i < length; i++) result[r][start - skip + i] = picked[r * length + i];
        }
        return result;
    }
}
