using LongRecipe.Engine.Model;

namespace LongRecipe.Engine.RopeSearch;

/// <summary>Perplexity of a model over token samples, and the same model under other RoPE settings.</summary>
public static class Perplexity
{
    /// <summary>
    /// exp(−(1/N) Σ log p(x_{t+1} | x_≤t)) over every predicted token of every sample (N of them), the
    /// samples scored <paramref name="batchSize"/> at a time at positions 0 … n−1. Rows of one batch must
    /// be equally long.
    /// </summary>
    public static double Of(LlamaModel model, IReadOnlyList<long[]> samples, int batchSize = 1, CancellationToken cancel = default)
    {
        if (samples.Count == 0) throw new ArgumentException("perplexity needs at least one sample", nameof(samples));
        double sum = 0;
        long count = 0;
        for (var start = 0; start < samples.Count; start += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var batch = samples.Skip(start).Take(batchSize).Select(s => (IReadOnlyList<long>)s).ToArray();
            foreach (var row in Scoring.LogProbs(model, batch))
            {
                sum += row.Sum();
                count += row.Length;
            }
        }
        return Math.Exp(-sum / count);
    }

    /// <summary>
    /// The model's weights under another config (another RoPE, another window). The view shares the
    /// weights, so it must not be disposed: disposing it would free the original's parameters.
    /// </summary>
    public static LlamaModel WithConfig(LlamaModel model, LlamaConfig config) => new(config.Validate(), model.Parameters);
}
