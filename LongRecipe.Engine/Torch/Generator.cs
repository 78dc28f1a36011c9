using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>
/// A seeded source of random numbers. It draws on the CPU unless made for a device: the same seed
/// then gives the same tensors on every device. A GPU generator draws on the GPU (no host copy of a
/// large random tensor), with values of its own.
/// </summary>
public sealed class Generator : IDisposable
{
    internal GeneratorHandle Handle { get; }

    public Generator(ulong seed)
    {
        Native.Check(Native.lr_generator_new(seed, out var handle));
        Handle = new GeneratorHandle(handle);
    }

    /// <summary>A generator that draws on <paramref name="device"/> (on the CPU, the same as <c>new Generator(seed)</c>).</summary>
    public Generator(ulong seed, Device device)
    {
        Native.Check(Native.lr_generator_new_on(seed, (int)device.Type, device.Index, out var handle));
        Handle = new GeneratorHandle(handle);
    }

    public void Dispose() => Handle.Dispose();
}
