namespace LongRecipe.Engine.Torch;

/// <summary>
/// Disposes, when it ends, every tensor created on this thread while it was the innermost
/// scope, except those moved out. One scope per training step or eval batch keeps native
/// (and GPU) memory from waiting on the GC. Scopes nest; never hold one across an await.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    private readonly DisposeScope? outer;
    private readonly List<Tensor> owned = [];
    private bool ended;

    private DisposeScope()
    {
        outer = current;
        current = this;
    }

    /// <summary>Begins a scope that becomes the innermost on this thread.</summary>
    public static DisposeScope Enter() => new();

    /// <summary>Hands a tensor to the enclosing scope (or to no scope, at the outermost) and returns it.</summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        if (tensor.Scope != this) throw new InvalidOperationException("the tensor does not belong to this scope");
        tensor.Scope = outer;
        outer?.owned.Add(tensor);
        return tensor;
    }

    /// <summary>Takes a tensor out of every scope: its owner disposes it.</summary>
    public static Tensor Detach(Tensor tensor)
    {
        tensor.Scope = null;
        return tensor;
    }

    internal static void Adopt(Tensor tensor)
    {
        if (current is { } scope)
        {
            tensor.Scope = scope;
            scope.owned.Add(tensor);
        }
    }

    public void Dispose()
    {
        if (ended) return;
        if (current != this) throw new InvalidOperationException("dispose scopes must end innermost first, on the thread that began them");
        ended = true;
        current = outer;
        foreach (var tensor in owned)
            if (tensor.Scope == this) tensor.Dispose();
        owned.Clear();
    }
}
