using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>A seeded source of random numbers; the same seed gives the same tensors on every device.</summary>
public sealed class Generator : IDisposable
{
    internal GeneratorHandle Handle { get; }

    public Generator(ulong seed)
    {
        Native.Check(Native.lr_generator_new(seed, out var handle));
        Handle = new GeneratorHandle(handle);
    }

    public void Dispose() => Handle.Dispose();
}
