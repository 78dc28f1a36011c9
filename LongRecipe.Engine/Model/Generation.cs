using System.Runtime.CompilerServices;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>
/// How the next token is chosen: greedy (argmax) when Temperature is 0; otherwise sampled from
/// softmax(logits / T), restricted to the TopK most likely (0 = all) and then to the smallest set
/// whose probability reaches TopP. Seeded, so a seed gives the same text.
/// </summary>
public sealed record SamplingOptions(double Temperature = 0, int TopK = 0, double TopP = 1.0, ulong Seed = 0)
{
    public static readonly SamplingOptions Greedy = new();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting out of range (as a request names it); returns these.</summary>
    public SamplingOptions Validate()
    {
        if (!(Temperature >= 0 && double.IsFinite(Temperature)))
            throw new ArgumentException($"temperature must be a finite number ≥ 0 (0 is greedy), got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top_k must be ≥ 0 (0 keeps every token), got {TopK}");
        if (!(TopP is > 0 and <= 1)) throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
        return this;
    }
}

public static class Generation
{
    /// <summary>
    /// Continues <paramref name="prompt"/> one token at a time with a KV cache, yielding each new
    /// token; stops after <paramref name="maxNewTokens"/> or at a token in <paramref name="stopIds"/> (yielded).
    /// </summary>
    public static async IAsyncEnumerable<long> Generate(LlamaModel model, IReadOnlyList<long> prompt, int maxNewTokens,
        SamplingOptions sampling, IReadOnlySet<long>? stopIds = null, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        if (prompt.Count == 0) throw new ArgumentException("generation needs a prompt of at least one token", nameof(prompt));
        sampling.Validate();
        var random = new Random((int)(sampling.Seed % int.MaxValue));
        using var cache = model.NewCache();
        var input = prompt.ToArray();
        for (var step = 0; step < maxNewTokens; step++)
        {
            cancel.ThrowIfCancellationRequested();
            var next = NextToken(model, cache, input, sampling, random);
            yield return next;
            if (stopIds?.Contains(next) == true) yield break;
            input = [next];
            // Lets a consumer on a UI thread render between tokens.
            await Task.Yield();
        }
    }

    private static long NextToken(LlamaModel model, KvCache cache, long[] input, SamplingOptions sampling, Random random)
    {
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        var past = cache.Length;
        var ids = Tensor.FromArray(input, [1, input.Length], device: model.Device);
        var positions = Tensor.Arange(past, past + input.Length, device: model.Device).Unsqueeze(0);
        var hidden = model.Hidden(ids, positions, cache);
        var logits = model.Logits(hidden.Select(1, input.Length - 1)).To(DType.Float32).ToArray<float>();
        return sampling.Temperature <= 0 ? ArgMax(logits) : Sample(logits, sampling, random);
    }

    private static long ArgMax(float[] logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    private static long Sample(float[] logits, SamplingOptions o, Random random)
    {
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ToArray();
        if (o.TopK > 0 && o.TopK < order.Length) order = order[..o.TopK];
        var max = logits[order[0]];
        var weights = order.Select(i => Math.Exp((logits[i] - max) / o.Temperature)).ToArray();
        var total = weights.Sum();
        var kept = 0;
        for (double mass = 0; kept < order.Length && mass < o.TopP * total; kept++) mass += weights[kept];
        var draw = random.NextDouble() * weights.Take(kept).Sum();
        for (var i = 0; i < kept; i++)
        {
            draw -= weights[i];
            if (draw <= 0) return order[i];
        }
        return order[kept - 1];
    }
}
