using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>Keys and values of the tokens seen so far, per layer, for incremental decoding.</summary>
public sealed class KvCache(int layers) : IDisposable
{
    private readonly LayerCache[] caches = Enumerable.Range(0, layers).Select(_ => new LayerCache()).ToArray();

    public LayerCache this[int layer] => caches[layer];

    /// <summary>Tokens cached so far.</summary>
    public long Length => caches[0].Length;

    public void Dispose()
    {
        foreach (var cache in caches) cache.Dispose();
    }
}

/// <summary>One layer's cached keys and values, [batch, kv_heads, tokens, head_dim] each, after RoPE.</summary>
public sealed class LayerCache : IDisposable
{
    private Tensor? keys, values;

    public long Length => keys?.Size(2) ?? 0;

    /// <summary>Appends this step's keys and values and returns all of them. The cache owns the results.</summary>
    public (Tensor Keys, Tensor Values) Append(Tensor k, Tensor v)
    {
        var allKeys = keys is null ? k : Tensor.Cat([keys, k], 2);
        var allValues = values is null ? v : Tensor.Cat([values, v], 2);
        keys?.Dispose();
        values?.Dispose();
        keys = DisposeScope.Detach(allKeys.Detach());
        values = DisposeScope.Detach(allValues.Detach());
        return (keys, values);
    }

    public void Dispose()
    {
        keys?.Dispose();
        values?.Dispose();
    }
}
