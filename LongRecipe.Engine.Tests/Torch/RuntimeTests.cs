using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>The runtime: version, threads, seeds, memory.</summary>
public class RuntimeTests
{
    [Fact]
    public void Version_is_a_supported_libtorch()
    {
        var v = TorchRuntime.Version;
        Assert.True(v is { Major: 1, Minor: 13 } || v.Major >= 2, $"libtorch {v} is neither 1.13 nor 2.x");
    }

    [Fact]
    public void Threads_round_trip()
    {
        var before = TorchRuntime.Threads;
        Assert.True(before >= 1);
        try
        {
            TorchRuntime.Threads = 1;
            Assert.Equal(1, TorchRuntime.Threads);
            TorchRuntime.Threads = 2;
            Assert.Equal(2, TorchRuntime.Threads);
        }
        finally
        {
            TorchRuntime.Threads = before;
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Threads = 0);
    }

    [Fact]
    public void ManualSeed_succeeds()
    {
        TorchRuntime.ManualSeed(42);
        TorchRuntime.ManualSeed(ulong.MaxValue);
    }

    [Fact]
    public void Cpu_resident_bytes_are_positive()
    {
        Assert.True(TorchRuntime.CpuResidentBytes() > 0);
    }

    [Fact]
    public void Available_cpu_memory_is_some_of_the_total()
    {
        var available = TorchRuntime.AvailableMemory(Device.Cpu);
        Assert.InRange(available, 1, TorchRuntime.TotalMemory(Device.Cpu));
    }

    [Fact]
    public void Without_cuda_there_are_no_cuda_devices()
    {
        Assert.True(TorchRuntime.CudaDeviceCount >= 0);
        if (!TorchRuntime.BuiltWithCuda) Assert.Equal(0, TorchRuntime.CudaDeviceCount);
        Assert.Equal(TorchRuntime.CudaDeviceCount > 0, TorchRuntime.CudaAvailable);
        // Synchronizing the CPU is a no-op.
        TorchRuntime.Synchronize(Device.Cpu);
    }

    [Fact]
    public void Run_time_compiled_kernels_are_used_where_the_build_has_them_and_cannot_be_asked_for_elsewhere()
    {
        // A CUDA build of libtorch has ATen's jiterator; Debian's CPU build does not.
        Assert.Equal(TorchRuntime.BuiltWithCuda, TorchRuntime.HasJitKernels);
        Assert.Equal(TorchRuntime.HasJitKernels, TorchRuntime.UseJitKernels);
        if (TorchRuntime.HasJitKernels) return;
        var e = Assert.Throws<InvalidOperationException>(() => TorchRuntime.UseJitKernels = true);
        Assert.Contains("cannot compile kernels at run time", e.Message);
        Assert.False(TorchRuntime.UseJitKernels);
    }

    [Fact]
    public void Kernels_compiled_through_nvrtc_are_used_where_they_can_be_and_cannot_be_asked_for_elsewhere()
    {
        Assert.Equal(CudaModule.IsAvailable, TorchRuntime.UseCompiledKernels);
        if (CudaModule.IsAvailable) return;
        var e = Assert.Throws<InvalidOperationException>(() => TorchRuntime.UseCompiledKernels = true);
        Assert.Contains("NVRTC library", e.Message);
        Assert.False(TorchRuntime.UseCompiledKernels);
    }
}
