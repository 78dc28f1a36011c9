using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>
/// A model's tensors by their transformers names, in insertion order. It owns them: they live
/// outside every dispose scope until <see cref="Dispose"/>.
/// </summary>
public sealed class Parameters : IDisposable
{
    private readonly Dictionary<string, Tensor> byName = new(StringComparer.Ordinal);
    private readonly List<string> order = [];

    /// <summary>Adds a tensor under a name, taking it out of any dispose scope.</summary>
    public void Add(string name, Tensor tensor)
    {
        if (!byName.TryAdd(name, DisposeScope.Detach(tensor)))
            throw new ArgumentException($"parameter '{name}' was added twice", nameof(name));
        order.Add(name);
    }

    public Tensor this[string name] =>
        byName.TryGetValue(name, out var tensor) ? tensor : throw new KeyNotFoundException($"the model has no parameter '{name}'");

    /// <summary>The tensor, or null when the architecture leaves it out (a bias, say).</summary>
    public Tensor? Optional(string name) => byName.GetValueOrDefault(name);

    public bool Contains(string name) => byName.ContainsKey(name);

    public IReadOnlyList<string> Names => order;

    public int Count => order.Count;

    /// <summary>The tensors in insertion order, for optimizers and clipping.</summary>
    public IReadOnlyList<Tensor> Tensors => order.Select(n => byName[n]).ToList();

    /// <summary>Total number of elements, e.g. 1.1e9 for a 1B model.</summary>
    public long ElementCount => byName.Values.Sum(t => t.NumElements);

    public void Dispose()
    {
        foreach (var tensor in byName.Values) tensor.Dispose();
        byName.Clear();
        order.Clear();
    }
}
