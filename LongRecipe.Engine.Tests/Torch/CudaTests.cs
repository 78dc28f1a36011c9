using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>
/// The binding on a GPU, each result checked against the CPU. Skipped where no CUDA device is
/// visible. They run alone, after the parallel tests (<see cref="ProcessWide"/>): the memory statistics see only
/// their own tensors, and limiting the attention kernels, which is process-wide, fails no other test's attention
/// (on the H200 it failed 35 CPU tests running beside it). Every tensor is disposed by a scope, never left to the finalizer.
/// </summary>
[Collection(nameof(ProcessWide))]
public class CudaTests
{
    private static readonly Device Gpu = Device.Cuda(0);

    private static void RequireCuda()
    {
        if (TorchRuntime.CudaDeviceCount == 0) Assert.Skip("no CUDA device");
    }

    /// <summary>The engine's kernels compiled through NVRTC on or off until disposed, with the residual-norm kernel or without.</summary>
    private sealed class CompiledKernels : IDisposable
    {
        private readonly (bool Compiled, bool ResidualNorm) previous = (TorchRuntime.UseCompiledKernels, TorchRuntime.UseResidualNormKernel);

        public CompiledKernels(bool on, bool residualNorm = false) =>
            (TorchRuntime.UseCompiledKernels, TorchRuntime.UseResidualNormKernel) = (on, residualNorm);

        public void Dispose() => (TorchRuntime.UseCompiledKernels, TorchRuntime.UseResidualNormKernel) = previous;
    }

    private static Tensor Randn(ulong seed, params long[] shape) => Draw.Normal(seed, DType.Float32, shape);

    [Fact]
    public void Tensors_round_trip_between_cpu_and_cuda()
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        float[] values = [1.5f, -2, 3, 0, 1e-3f, 7];
        var onGpu = Tensor.FromArray(values, [2, 3]).To(Gpu);
        Assert.Equal(Gpu, onGpu.Device);
        Assert.Equal(DType.Float32, onGpu.DType);
        Expect.Shape([2, 3], onGpu, "shape on the GPU");
        // Copies out read the device directly, and a move back gives the same values.
        Assert.Equal(values, onGpu.ToArray<float>());
        var back = onGpu.To(Device.Cpu);
        Assert.Equal(Device.Cpu, back.Device);
        Assert.Equal(values, back.ToArray<float>());

        // Created on the device, converted on the way: i64 and bf16.
        Assert.Equal([1L, -2, 3], Tensor.FromArray([1L, -2, 3], device: Gpu).ToArray<long>());
        var bf16 = Tensor.FromArray([1f, 0.1f], dtype: DType.BFloat16, device: Gpu);
        Assert.Equal(Gpu, bf16.Device);
        Assert.Equal([1f, 0.10009765625f], bf16.To(DType.Float32, Device.Cpu).ToArray<float>());
        Assert.Equal(Gpu, Tensor.Zeros([2], device: Gpu).Device);
    }

    [Fact]
    public void MatMul_on_cuda_equals_the_cpu()
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        var a = Randn(1, 64, 32);
        var b = Randn(2, 32, 48);
        var cpu = Functional.MatMul(a, b);
        var gpu = Functional.MatMul(a.To(Gpu), b.To(Gpu));
        Assert.Equal(Gpu, gpu.Device);
        TorchRuntime.Synchronize(Gpu);
        // Full f32 on both (libtorch leaves TF32 off for matmul by default); sums of 32 products of N(0, 1).
        Expect.Close(Expect.Values(cpu), gpu, 1e-4, "matmul cuda vs cpu");
    }

    [Fact]
    public void Bf16_attention_on_cuda_agrees_with_f32_on_the_cpu()
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        var q = Randn(3, 1, 2, 16, 32);
        var k = Randn(4, 1, 2, 16, 32);
        var v = Randn(5, 1, 2, 16, 32);
        var reference = Functional.ScaledDotProductAttention(q, k, v, isCausal: true);

        Tensor Bf16(Tensor t) => t.To(DType.BFloat16, Gpu);
        var gpu = Functional.ScaledDotProductAttention(Bf16(q), Bf16(k), Bf16(v), isCausal: true);
        Assert.Equal(DType.BFloat16, gpu.DType);
        // bf16 keeps 8 significant bits (relative error 2⁻⁹ per rounding); outputs are averages of
        // N(0, 1) values, so a few roundings stay well inside 0.03.
        Expect.Close(Expect.Values(reference), gpu, 3e-2, "bf16 causal attention");

        var keep = Tensor.Ones([16, 16], DType.Bool).Tril().To(Gpu);
        var masked = Functional.ScaledDotProductAttention(Bf16(q), Bf16(k), Bf16(v), keep);
        Expect.Close(Expect.Values(reference), masked, 3e-2, "bf16 attention with a causal boolean mask");
    }

    [Fact]
    public void Each_attention_kernel_gives_the_cpu_attention_and_its_gradient()
    {
        RequireCuda();
        if (!TorchRuntime.HasAttentionKernelChoice) Assert.Skip($"libtorch {TorchRuntime.Version} cannot choose attention kernels");
        using var scope = DisposeScope.Enter();
        // Grouped-query (4 query heads on 2 key/value heads), causal, head 64: the shape training runs.
        var q = Randn(6, 1, 4, 128, 64);
        var k = Randn(7, 1, 2, 128, 64);
        var v = Randn(8, 1, 2, 128, 64);
        (Tensor Output, Tensor QueryGrad) Attend(Device device, DType dtype)
        {
            // A copy: To() on the CPU in f32 would hand back q itself, and the next call's q would then carry its graph.
            var leaf = q.To(dtype, device).Clone().RequiringGrad();
            var y = Functional.ScaledDotProductAttention(leaf, k.To(dtype, device), v.To(dtype, device), isCausal: true);
            y.To(DType.Float32).Square().Sum().Backward();
            return (y, leaf.Grad!);
        }
        var (expected, expectedGrad) = Attend(Device.Cpu, DType.Float32);
        try
        {
            // Only the one kernel may run, so a kernel that refuses the shape fails here. (The memory-efficient kernel
            // takes no grouped-query shapes in libtorch 2.11, so grouped attention never picks it.)
            foreach (var kernels in new[] { AttentionKernels.Flash, AttentionKernels.Cudnn, AttentionKernels.Math })
            {
                TorchRuntime.UseAttentionKernels(kernels);
                var (y, grad) = Attend(Gpu, DType.BFloat16);
                Expect.Close(Expect.Values(expected), y, 3e-2, $"{kernels} output");
                // Gradients sum over 128 keys of bf16 products: relative to their size, a few bf16 roundings.
                Expect.Close(Expect.Values(expectedGrad), grad, 0.15, $"{kernels} query gradient");
            }
        }
        finally
        {
            TorchRuntime.UseAttentionKernels(AttentionKernels.All);
        }
    }

    [Fact]
    public void SwiGlu_on_cuda_is_one_run_time_compiled_kernel_with_the_worked_values_and_gradients()
    {
        RequireCuda();
        Assert.True(TorchRuntime.HasJitKernels, "a CUDA build of libtorch compiles elementwise kernels at run time");
        FunctionalTests.CheckSwiGlu(Gpu, DType.Float32, 1e-6);
        // bf16 rounds once, at the end: within bf16's relative step of 2⁻⁸.
        FunctionalTests.CheckSwiGlu(Gpu, DType.BFloat16, 8e-3);
        // Large tensors agree with silu and the product, forward and backward (f32, one rounding apart).
        using var scope = DisposeScope.Enter();
        var g = Randn(11, 64, 1024).To(Gpu).RequiringGrad();
        var u = Randn(12, 64, 1024).To(Gpu).RequiringGrad();
        var fused = Functional.SwiGlu(g, u);
        fused.Square().Sum().Backward();
        var (fusedGate, fusedUp) = (g.Grad!.Clone(), u.Grad!.Clone());
        (g.Grad, u.Grad) = (null, null);
        var composite = g.Silu() * u;
        composite.Square().Sum().Backward();
        Expect.Close(Expect.Values(composite), fused, 1e-5, "output");
        Expect.Close(Expect.Values(g.Grad!), fusedGate, 1e-5, "gate gradient");
        Expect.Close(Expect.Values(u.Grad!), fusedUp, 1e-5, "up gradient");
    }

    [Theory]
    [InlineData(DType.Float32, 1000)]
    [InlineData(DType.Float32, 1003)]
    [InlineData(DType.BFloat16, 1000)]
    [InlineData(DType.BFloat16, 1003)]
    public void Cross_entropy_on_cuda_is_two_run_time_compiled_kernels_with_the_cpu_loss_and_gradient(DType dtype, long vocab)
    {
        RequireCuda();
        using var kernels = new CompiledKernels(on: true);
        // 1000 columns load 16 bytes at a time, 1003 one element at a time; rows 5 and 17 are ignored.
        const int rows = 37;
        using var scope = DisposeScope.Enter();
        var logits = (Randn(21, rows, vocab) * 3).To(dtype);
        using var generator = new Generator(22);
        var targets = Tensor.RandInt(0, vocab, [rows], generator, DType.Int64);
        var ignored = targets.ToArray<long>();
        (ignored[5], ignored[17]) = (-100, -100);
        targets = Tensor.FromArray(ignored);
        var weights = Randn(23, rows);
        foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.Mean })
        {
            // The CPU computes in f32 from the same rounded logits. Each side is a leaf of its own (an f32 To is the same
            // tensor, which would then require grad for the next round).
            var cpu = logits.To(DType.Float32).Detach().RequiringGrad();
            var cpuLoss = Functional.CrossEntropy(cpu, targets, reduction: reduction);
            (reduction == Reduction.None ? (cpuLoss * weights).Sum() : cpuLoss).Backward();
            var gpu = logits.To(Gpu).Detach().RequiringGrad();
            var gpuLoss = Functional.CrossEntropy(gpu, targets.To(Gpu), reduction: reduction);
            Assert.Equal(DType.Float32, gpuLoss.DType);
            (reduction == Reduction.None ? (gpuLoss * weights.To(Gpu)).Sum() : gpuLoss).Backward();

            Expect.Close(Expect.Values(cpuLoss), gpuLoss, 2e-6, $"{reduction} loss");
            Assert.Equal(dtype, gpu.Grad!.DType);
            var (want, got) = (Expect.Values(cpu.Grad!.To(dtype)), Expect.Values(gpu.Grad!));
            // f32 agrees to its rounding; bf16 rounds once from nearly the same f32 value, so at most one step apart: 2⁻⁷
            // of the value at the bottom of a binade.
            var step = dtype == DType.BFloat16 ? 1.01 / 128 : 1e-5;
            for (var i = 0; i < want.Length; i++)
                if (Math.Abs(got[i] - want[i]) > step * Math.Abs(want[i]) + 1e-9)
                    Assert.Fail($"{reduction}: gradient [{i / vocab}, {i % vocab}] is {got[i]:R}, the CPU's {want[i]:R}");
            for (var c = 0; c < vocab; c++)
                Assert.True(got[5 * vocab + c] == 0 && got[17 * vocab + c] == 0, "ignored rows get no gradient");
        }

        // A target outside the vocabulary gives that row NaN, where libtorch's kernel would stop the device.
        var outside = Functional.CrossEntropy(logits.To(Gpu), Tensor.FromArray([vocab, .. ignored[1..]], device: Gpu), reduction: Reduction.None);
        Assert.True(double.IsNaN(Expect.Values(outside)[0]));
    }

    [Theory]
    [InlineData(DType.Float32, 64, 64)]
    [InlineData(DType.Float32, 64, 20)]
    [InlineData(DType.BFloat16, 64, 64)]
    [InlineData(DType.BFloat16, 64, 32)]
    [InlineData(DType.BFloat16, 12, 12)]
    public void Rotary_on_cuda_is_one_run_time_compiled_kernel_with_the_cpu_rotation_and_gradient(DType dtype, long dim, long rotary)
    {
        RequireCuda();
        // Head 64 with rotary 64 or 32 loads 16 bytes at a time; 20 and 12 one element at a time. Partial rotary passes
        // the rest through. Random tables: the rotation is linear in them, so any values check it. Every input is a bf16
        // value, so the CPU's f32 result is what the kernel rounds.
        using var kernels = new CompiledKernels(on: true);
        using var scope = DisposeScope.Enter();
        var x = Randn(31, 2, 5, 3, dim).To(dtype).To(DType.Float32);
        var weights = Randn(32, 2, 5, 3, dim).To(dtype).To(DType.Float32);
        foreach (var tableBatch in new long[] { 1, 2 })
        {
            var cos = Randn(33, tableBatch, 5, rotary).To(dtype).To(DType.Float32);
            var signedSin = Randn(34, tableBatch, 5, rotary).To(dtype).To(DType.Float32);
            Assert.True(RotaryKernel.Applies(x.To(dtype, Gpu), cos.To(dtype, Gpu)), "CUDA queries take the engine's rotary kernel");
            var cpu = x.Clone().RequiringGrad();
            var cpuRotated = Rotary.Rotate(cpu, cos, signedSin);
            (cpuRotated * weights).Sum().Backward();
            var gpu = x.To(dtype, Gpu).RequiringGrad();
            var gpuRotated = Rotary.Rotate(gpu, cos.To(dtype, Gpu), signedSin.To(dtype, Gpu));
            Assert.Equal(dtype, gpuRotated.DType);
            (gpuRotated * weights.To(dtype, Gpu)).Sum().Backward();
            // f32 agrees to rounding; bf16 rounds once from the f32 value (its step is 2⁻⁸ relative).
            var tol = dtype == DType.BFloat16 ? 8e-3 : 1e-5;
            Expect.Close(Expect.Values(cpuRotated), gpuRotated, tol, $"rotated, tables of batch {tableBatch}");
            Expect.Close(Expect.Values(cpu.Grad!), gpu.Grad!, tol, $"gradient, tables of batch {tableBatch}");
        }
    }

    [Theory]
    [InlineData(DType.Float32, 64)]
    [InlineData(DType.BFloat16, 2048)]
    [InlineData(DType.BFloat16, 96)]
    public void A_residual_add_and_the_rms_norm_after_it_are_one_kernel_each_way_with_the_cpu_values_and_gradients(DType dtype, long hidden)
    {
        RequireCuda();
        // 2 × 300 rows: more than backward's 512 blocks, so some blocks take two rows. A row of 64 f32 or 96 bf16 is
        // less than a warp of packs (idle threads); 2048 bf16 is 256 threads. Every input is a value of the dtype, and
        // the CPU rounds the sum to it as the kernel does before normalising (the cast's backward rounds the sum's
        // gradient as the kernel rounds its result), so what is left is the rounding of the kernel's f32 results.
        using var kernels = new CompiledKernels(on: true, residualNorm: true);
        using var scope = DisposeScope.Enter();
        Tensor Values(ulong seed, params long[] shape) => Randn(seed, shape).To(dtype).To(DType.Float32);
        var (h, delta) = (Values(51, 2, 300, hidden), Values(52, 2, 300, hidden));
        var weight = (Randn(53, hidden) * 0.1 + 1).To(dtype).To(DType.Float32);
        var (streamWeights, normedWeights) = (Values(54, 2, 300, hidden), Values(55, 2, 300, hidden));

        (Tensor Stream, Tensor Normed, Tensor H, Tensor Delta, Tensor Weight) Run(Device device)
        {
            var type = device.IsCuda ? dtype : DType.Float32;
            var (x, d, w) = (h.To(type, device).Detach().RequiringGrad(), delta.To(type, device).Detach().RequiringGrad(),
                weight.To(type, device).Detach().RequiringGrad());
            var norm = new RmsNorm(w, 1e-5);
            Tensor stream, normed;
            if (device.IsCuda)
            {
                Assert.True(ResidualNormKernel.Applies(x, d, w), "CUDA takes the engine's residual-norm kernel");
                (stream, normed) = norm.Forward(new Residual(x, d));
                Assert.Equal(dtype, normed.DType);
            }
            else
            {
                stream = (x + d).To(dtype).To(DType.Float32);
                normed = norm.Forward(stream);
            }
            ((stream * streamWeights.To(type, device)).Sum() + (normed * normedWeights.To(type, device)).Sum()).Backward();
            return (stream, normed, x.Grad!, d.Grad!, w.Grad!);
        }

        var cpu = Run(Device.Cpu);
        var gpu = Run(Gpu);
        // f32 agrees to rounding; bf16 rounds each result once (a step is 2⁻⁸ relative at most). The weight's gradient
        // sums 600 rows.
        var tol = dtype == DType.BFloat16 ? 8e-3 : 1e-5;
        Expect.Close(Expect.Values(cpu.Stream), gpu.Stream, tol, "h + δ");
        Expect.Close(Expect.Values(cpu.Normed), gpu.Normed, tol, "RMSNorm(h + δ)");
        Expect.Close(Expect.Values(cpu.H), gpu.H, tol, "∂h");
        Expect.Close(Expect.Values(cpu.Delta), gpu.Delta, tol, "∂δ");
        Expect.Close(Expect.Values(cpu.Weight), gpu.Weight, dtype == DType.BFloat16 ? tol : 1e-4, "∂w");
    }

    [Fact]
    public void A_kernel_that_does_not_compile_or_is_not_there_is_named_in_the_error()
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        var broken = new CudaModule("""extern "C" __global__ void twice(float* x) { x[threadIdx.x] *= undefined_name; }""");
        var compile = Assert.Throws<TorchException>(() => broken.Launch("twice", Gpu, (1, 1, 1), 32, Tensor.Zeros([32], device: Gpu)));
        Assert.Contains("does not compile", compile.Message);
        Assert.Contains("undefined_name", compile.Message);

        var module = new CudaModule("""extern "C" __global__ void twice(float* x, long long n) { if (threadIdx.x < n) x[threadIdx.x] *= 2.0f; }""");
        var x = Tensor.FromArray([1f, 2, 3], device: Gpu);
        module.Launch("twice", Gpu, (1, 1, 1), 32, x, 3L);
        Assert.Equal([2f, 4, 6], x.ToArray<float>());
        Assert.Contains("CUDA driver", Assert.Throws<TorchException>(() => module.Launch("thrice", Gpu, (1, 1, 1), 32, x, 3L)).Message);
    }

    [Fact]
    public void A_seed_gives_the_same_random_values_on_cpu_and_cuda()
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        foreach (var (name, draw) in new (string, Func<Generator, Device, Tensor>)[]
                 {
                     ("randn", (g, d) => Tensor.Randn([100], g, device: d)),
                     ("rand", (g, d) => Tensor.Rand([100], g, device: d)),
                     ("randint", (g, d) => Tensor.RandInt(0, 50, [100], g, DType.Float32, d)),
                     ("randperm", (g, d) => Tensor.RandPerm(100, g, d).To(DType.Float32)),
                 })
        {
            using Generator onCpu = new(7), onGpu = new(7);
            var gpu = draw(onGpu, Gpu);
            Assert.Equal(Gpu, gpu.Device);
            Assert.True(draw(onCpu, Device.Cpu).ToArray<float>().SequenceEqual(gpu.ToArray<float>()), $"{name}: same values on both");
        }
    }

    [Fact]
    public void Backward_on_cuda_equals_the_cpu()
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        var x = Randn(6, 8, 16);
        var w = Randn(7, 16, 4);

        Tensor Grad(Device device)
        {
            // On the CPU, To returns w itself; a copy keeps w out of the graph.
            var leaf = w.Clone().To(device).RequiringGrad();
            Functional.MatMul(x.To(device), leaf).Silu().Sum().Backward();
            Assert.Equal(device, leaf.Grad!.Device);
            return leaf.Grad!;
        }

        Expect.Close(Expect.Values(Grad(Device.Cpu)), Grad(Gpu), 1e-4, "dW cuda vs cpu");
    }

    [Theory]
    [InlineData(OptimizerState.F32)]
    [InlineData(OptimizerState.Int8Blockwise)]
    public void AdamW_step_on_cuda_equals_the_cpu(OptimizerState state)
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        // Two blocks of 8-bit state; f32 parameters round nothing stochastically, so both devices compute the same.
        var start = Randn(8, 3000);
        var grads = new[] { Randn(9, 3000), Randn(10, 3000), Randn(11, 3000) };
        var options = new AdamWOptions(LearningRate: 0.01, Beta2: 0.95, WeightDecay: 0.1, State: state);

        double[] Run(Device device)
        {
            // A copy, so the CPU run's in-place steps leave the start for the CUDA run.
            var p = start.Clone().To(device).RequiringGrad();
            using var optimizer = new AdamW([p], options);
            foreach (var g in grads)
            {
                p.Grad = g.To(device);
                optimizer.Step();
            }
            return Expect.Values(p);
        }

        Expect.Close(Run(Device.Cpu), Run(Gpu), state == OptimizerState.F32 ? 1e-6 : 1e-5, $"p after 3 steps with {state} state, cuda vs cpu");
    }

    [Fact]
    public void A_generator_made_for_the_gpu_draws_there_and_repeats_with_its_seed()
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        using Generator a = new(5, Gpu), b = new(5, Gpu), c = new(6, Gpu);
        var first = Tensor.RandInt(0, 1 << 16, [1 << 20], a, DType.Int32, Gpu);
        Assert.True(first.Device.IsCuda);
        var values = first.ToArray<int>();
        Assert.Equal(values, Tensor.RandInt(0, 1 << 16, [1 << 20], b, DType.Int32, Gpu).ToArray<int>());
        Assert.NotEqual(values, Tensor.RandInt(0, 1 << 16, [1 << 20], c, DType.Int32, Gpu).ToArray<int>());
        Assert.InRange(values.Min(), 0, 10);
        Assert.InRange(values.Max(), (1 << 16) - 10, (1 << 16) - 1);
        // Uniform on 0 … 65535: mean 32767.5, standard error 18918 / √2²⁰ ≈ 18.5.
        Expect.Close(32767.5, values.Average(), 100 / 32767.5, "mean of 2²⁰ uniform draws");
    }

    [Fact]
    public void A_memory_cap_makes_a_larger_allocation_fail_until_it_is_lifted()
    {
        RequireCuda();
        TorchRuntime.EmptyCudaCache();
        TorchRuntime.CapCudaMemory(0, 0.001);
        try
        {
            // A thousandth of any GPU is well under 8 GiB.
            var e = Assert.Throws<TorchException>(() => Tensor.Empty([2L << 30], DType.Float32, Gpu).Dispose());
            Assert.True(TorchRuntime.IsOutOfMemory(e), e.Message);
        }
        finally
        {
            TorchRuntime.CapCudaMemory(0, 1.0);
        }
        Tensor.Empty([2L << 30], DType.Float32, Gpu).Dispose();
        TorchRuntime.EmptyCudaCache();
        Assert.Contains("(0, 1]", Assert.Throws<TorchException>(() => TorchRuntime.CapCudaMemory(0, 0)).Message);
    }

    [Fact]
    public void Memory_statistics_follow_allocations()
    {
        RequireCuda();
        const long size = 4 << 20;
        TorchRuntime.Synchronize(Gpu);
        var before = TorchRuntime.CudaMemory();

        var t = Tensor.Empty([size / 4], DType.Float32, Gpu);
        var during = TorchRuntime.CudaMemory();
        Assert.True(during.Allocated >= before.Allocated + size, $"allocated {before.Allocated} → {during.Allocated}");
        Assert.True(during.Peak >= during.Allocated, $"peak {during.Peak} < allocated {during.Allocated}");
        Assert.True(during.Reserved >= during.Allocated, $"reserved {during.Reserved} < allocated {during.Allocated}");

        t.Dispose();
        var after = TorchRuntime.CudaMemory();
        Assert.Equal(before.Allocated, after.Allocated);
        // The peak remembers the tensor until it is reset, then starts again from what is held now.
        Assert.True(after.Peak >= before.Allocated + size, $"peak {after.Peak} forgot the tensor");
        TorchRuntime.ResetCudaPeak();
        Assert.Equal(after.Allocated, TorchRuntime.CudaMemory().Peak);
        TorchRuntime.Synchronize(Gpu);
    }

    [Fact]
    public void Fused_rms_norm_on_cuda_equals_the_composition_on_the_cpu()
    {
        RequireCuda();
        if (!TorchRuntime.HasFusedRmsNorm) Assert.Skip("libtorch before 2.8 has no fused RMSNorm");
        using var scope = DisposeScope.Enter();
        var x = Randn(5, 3, 7, 64);
        var w = Randn(6, 64);
        var composed = x * x.Square().Mean(-1, keepDim: true).Add(1e-5).Rsqrt() * w;
        var fused = Functional.FusedRmsNorm(x.To(Gpu), w.To(Gpu), 1e-5);
        Expect.Close(composed.ToArray<float>().Select(v => (double)v).ToArray(), fused.To(Device.Cpu), 1e-5, "f32 fused vs composed");
    }

    [Fact]
    public void Recording_a_cuda_graph_with_a_libtorch_built_without_cuda_says_so_and_runs_nothing()
    {
        if (TorchRuntime.BuiltWithCuda) Assert.Skip("this libtorch is built with CUDA");
        var ran = false;
        var e = Assert.Throws<TorchException>(() => CudaGraph.Capture(() => ran = true));
        Assert.Contains("CUDA graphs need a CUDA build of libtorch", e.Message);
        Assert.False(ran);
    }

    [Fact]
    public void Kernels_with_a_libtorch_built_without_cuda_say_so()
    {
        if (TorchRuntime.BuiltWithCuda) Assert.Skip("this libtorch is built with CUDA");
        Assert.False(CudaModule.IsAvailable);
        var module = new CudaModule("""extern "C" __global__ void nothing() {}""");
        Assert.Contains("needs a CUDA build of libtorch", Assert.Throws<TorchException>(() => module.Launch("nothing", Device.Cuda(0), (1, 1, 1), 32)).Message);
        Assert.Throws<ArgumentException>(() => module.Launch("nothing", Device.Cpu, (1, 1, 1), 32));
    }

    [Fact]
    public void A_training_step_recorded_as_a_cuda_graph_trains_as_the_eager_step_does()
    {
        RequireCuda();
        using var scope = DisposeScope.Enter();
        var config = LlamaConfig.Tiny();
        var ids = Tensor.FromArray(Enumerable.Range(0, 32).Select(i => (long)(i * 37 % 256)).ToArray(), [1, 32], device: Gpu);
        var positions = Tensor.Arange(32, device: Gpu).Unsqueeze(0);

        // Four steps each: eagerly, and one eager step then one recorded step replayed three times.
        (double[] Losses, double[] Weights) Train(bool recorded)
        {
            using var model = LlamaModel.Initialize(config, seed: 5, device: Gpu);
            foreach (var p in model.Parameters.Tensors) p.RequiresGrad = true;
            using var optimizer = new AdamW(model.Parameters.Tensors, new AdamWOptions(LearningRate: 1e-2));
            var table = Rotary.CosSin(config, positions, model.DType);
            // The loss comes out of the step's scope, which frees the rest; an eager step's loss is disposed at once, as
            // its autograd graph would keep the parameters' gradient accumulators on the stream of that step.
            Tensor Step()
            {
                using var step = DisposeScope.Enter();
                var loss = LanguageModelLoss.CrossEntropy(model, model.Hidden(ids, table).Narrow(1, 0, 31), ids.Narrow(1, 1, 31));
                loss.Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
                return DisposeScope.Detach(loss);
            }
            double EagerStep()
            {
                using var loss = Step();
                return loss.ToDouble();
            }
            var losses = new List<double> { EagerStep() };
            if (recorded)
            {
                Tensor? loss = null;
                using var graph = CudaGraph.Capture(() => loss = Step());
                using var kept = loss!;
                for (var i = 0; i < 3; i++)
                {
                    graph.Replay();
                    losses.Add(kept.ToDouble());
                }
            }
            else
                for (var i = 0; i < 3; i++) losses.Add(EagerStep());
            return ([.. losses], Expect.Values(model.Parameters["model.layers.0.self_attn.q_proj.weight"]));
        }

        (double[] Losses, double[] Weights) eager, graphed;
        using (new CompiledKernels(on: false)) (eager, graphed) = (Train(recorded: false), Train(recorded: true));
        Expect.Close(eager.Losses, graphed.Losses, 1e-5, "losses, eager vs replayed");
        Expect.Close(eager.Weights, graphed.Weights, 1e-5, "q_proj after four steps, eager vs replayed");
        Assert.True(graphed.Losses[3] < graphed.Losses[0], $"the replays train: losses {string.Join(", ", graphed.Losses)}");

        // With the engine's compiled kernels (cross-entropy, rotary) the steps train as with libtorch's ops, and their
        // launches are recorded and replayed like the rest.
        using var kernels = new CompiledKernels(on: true);
        var (eagerKernels, graphedKernels) = (Train(recorded: false), Train(recorded: true));
        Expect.Close(eager.Losses, eagerKernels.Losses, 1e-4, "losses, libtorch's ops vs the compiled kernels");
        Expect.Close(eagerKernels.Losses, graphedKernels.Losses, 1e-5, "losses with the compiled kernels, eager vs replayed");
        Expect.Close(eagerKernels.Weights, graphedKernels.Weights, 1e-5, "q_proj with the compiled kernels, eager vs replayed");

        // And with each residual add and the norm after it in one kernel.
        using var residualNorm = new CompiledKernels(on: true, residualNorm: true);
        var (eagerFused, graphedFused) = (Train(recorded: false), Train(recorded: true));
        Expect.Close(eager.Losses, eagerFused.Losses, 1e-4, "losses, libtorch's ops vs the residual-norm kernel");
        Expect.Close(eagerFused.Losses, graphedFused.Losses, 1e-5, "losses with the residual-norm kernel, eager vs replayed");
        Expect.Close(eagerFused.Weights, graphedFused.Weights, 1e-5, "q_proj with the residual-norm kernel, eager vs replayed");
    }
}
