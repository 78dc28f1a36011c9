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

        AssertHoldsNoNativeMemory(Step, warmUp: 300, repeats: 4_700, "training steps");
    }

    [Fact]
    public void A_generator_made_for_the_cpu_and_disposed_holds_no_native_memory()
    {
        // The optimizer makes one a step. A leaked CPU generator holds its Mersenne Twister state (about 2.5 KiB),
        // so 20,000 leaked ones hold about 50 MiB.
        var seed = 0UL;
        AssertHoldsNoNativeMemory(() => new Generator(seed++, Device.Cpu).Dispose(), warmUp: 500, repeats: 20_000, "generators");
    }

    /// <summary>
    /// Runs <paramref name="work"/> <paramref name="warmUp"/> times (the allocators, thread pools and JIT reach their
    /// steady state), then <paramref name="repeats"/> times, and bounds how much the resident set grew meanwhile.
    /// </summary>
    private void AssertHoldsNoNativeMemory(Action work, int warmUp, int repeats, string what)
    {
        for (var i = 0; i < warmUp; i++) work();
        var before = TorchRuntime.CpuResidentBytes();
        var managedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < repeats; i++) work();
        var after = TorchRuntime.CpuResidentBytes();
        var managed = GC.GetTotalAllocatedBytes(precise: true) - managedBefore;

        const double MiB = 1 << 20;
        output.WriteLine($"resident after warm-up {before / MiB:F1} MiB, after {repeats:N0} {what} {after / MiB:F1} MiB; " +
                         $"managed allocations meanwhile {managed / MiB:F1} MiB");
        // Until the GC first recycles its young generation, managed allocations touch new pages, so the resident set may
        // grow by their volume. Beyond that only native memory counts: 4 MiB of allocator slack.
        var bound = managed + 4 * (long)MiB;
        Assert.True(after - before <= bound,
            $"resident memory grew by {(after - before) / MiB:F1} MiB over {repeats:N0} {what} (bound {bound / MiB:F1} MiB)");
    }
}
