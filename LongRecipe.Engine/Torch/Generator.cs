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
        // On the CPU the plain generator is that generator. The device's copy comes from libtorch's GeneratorImpl::clone,
        // which before PyTorch 2 never frees what it makes: 2.7 KB a call, a call per optimizer step (found as the Lab's
        // memory growing 20 MiB a minute under a fast CPU run).
        var status = device.Type == DeviceType.Cpu
            ? Native.lr_generator_new(seed, out var handle)
            : Native.lr_generator_new_on(seed, (int)device.Type, device.Index, out handle);
        Native.Check(status);
        Handle = new GeneratorHandle(handle);
    }

    public void Dispose() => Handle.Dispose();
}
