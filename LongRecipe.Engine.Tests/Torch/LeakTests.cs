using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>Tests that measure the whole process, so they run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(ProcessWide), DisableParallelization = true)]
public sealed class ProcessWide;

[Collection(nameof(ProcessWide))]
public class LeakTests(ITestOutputHelper output)
{
    [Fact]
    public void Training_steps_in_dispose_scopes_hold_no_native_memory()
    {
        using var g = new Generator(1);
        using var w = DisposeScope.Detach(Tensor.Randn([64, 64], g).RequiringGrad());

        // A small training step: about 20 tensors of up to 16 KiB each, so leaking one
        // step's tensors holds about 100 KiB, and 4,700 leaked steps far exceed the bound below.
        void Step()
        {
            using var scope = DisposeScope.Enter();
            var x = Tensor.Randn([32, 64], g);
            var h = Functional.MatMul(x, w);
            var p = Functional.Softmax(h, -1);
            var loss = (p * p).Sum() + h.Silu().Mean();
            loss.Backward();
            _ = w.Grad!.Norm().ToDouble();
            w.Grad = null;
        }

        // The warm-up lets the allocators, thread pools and JIT reach their steady state.
        for (var i = 0; i < 300; i++) Step();
        var before = TorchRuntime.CpuResidentBytes();
        var managedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 300; i < 5000; i++) Step();
        var after = TorchRuntime.CpuResidentBytes();
        var managed = GC.GetTotalAllocatedBytes(precise: true) - managedBefore;

        const double MiB = 1 << 20;
        output.WriteLine($"resident after warm-up {before / MiB:F1} MiB, after 5,000 steps {after / MiB:F1} MiB; " +
                         $"managed allocations meanwhile {managed / MiB:F1} MiB");
        // Until the GC first recycles its young generation, managed allocations (the Tensor
        // objects, about 1 KiB a step) touch new pages, so the resident set may grow by their
        // volume. Beyond that only native memory counts: 4 MiB of allocator slack, under 1 KiB
        // a step, while one step's tensors alone hold about 100 KiB.
        var bound = managed + 4 * (long)MiB;
        Assert.True(after - before <= bound,
            $"resident memory grew by {(after - before) / MiB:F1} MiB over 4,700 steps (bound {bound / MiB:F1} MiB)");
    }

    [Fact]
    public void A_generator_made_for_the_cpu_and_disposed_holds_no_native_memory()
    {
        // The optimizer makes one a step. A leaked CPU generator holds its Mersenne Twister state (about 2.5 KiB),
        // so 20,000 leaked ones hold about 50 MiB.
        for (var i = 0; i < 500; i++) new Generator((ulong)i, Device.Cpu).Dispose();
        var before = TorchRuntime.CpuResidentBytes();
        var managedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < 20_000; i++) new Generator((ulong)i, Device.Cpu).Dispose();
        var after = TorchRuntime.CpuResidentBytes();
        var managed = GC.GetTotalAllocatedBytes(precise: true) - managedBefore;

        const double MiB = 1 << 20;
        output.WriteLine($"resident grew {(after - before) / MiB:F1} MiB over 20,000 generators; managed allocations {managed / MiB:F1} MiB");
        var bound = managed + 4 * (long)MiB;
        Assert.True(after - before <= bound, $"resident memory grew by {(after - before) / MiB:F1} MiB over 20,000 generators (bound {bound / MiB:F1} MiB)");
    }
}
