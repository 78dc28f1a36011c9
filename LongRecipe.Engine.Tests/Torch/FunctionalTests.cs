using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>The neural-network functions against hand-computed values and plain double loops.</summary>
public class FunctionalTests
{
    private const double Tight = 1e-12;

    private static double[] Randn(ulong seed, int count)
    {
        using var g = new Generator(seed);
        using var t = Tensor.Randn([count], g, DType.Float64);
        return t.ToArray<double>();
    }

    /// <summary>
    /// SwiGLU's y = g·σ(g)·u and its gradients ∂y/∂g = u·σ(g)·(1 + g·(1 − σ(g))), ∂y/∂u = g·σ(g), worked in doubles
    /// for (g, u) = (1, 2), (−2, 0.5), (0, 3), (3, −1); values bf16 holds exactly.
    /// </summary>
    internal static readonly (double[] Gate, double[] Up, double[] Y, double[] GateGrad, double[] UpGrad) SwiGluByHand = (
        [1, -2, 0, 3], [2, 0.5, 3, -1],
        [1.4621171572600098, -0.11920292202211755, 0, -2.8577223804673],
        [1.8553410237429737, -0.04539212439244773, 1.5, -1.0881041060151693],
        [0.7310585786300049, -0.2384058440442351, 0, 2.8577223804673]);

    /// <summary>SwiGlu on <paramref name="device"/> in <paramref name="dtype"/> against <see cref="SwiGluByHand"/>, forward and backward.</summary>
    internal static void CheckSwiGlu(Device device, DType dtype, double tol)
    {
        using var scope = DisposeScope.Enter();
        var (gate, up, y, gateGrad, upGrad) = SwiGluByHand;
        var g = Tensor.FromArray(gate, [2, 2]).To(dtype, device).RequiringGrad();
        var u = Tensor.FromArray(up, [2, 2]).To(dtype, device).RequiringGrad();
        var result = Functional.SwiGlu(g, u);
        Assert.Equal((dtype, device), (result.DType, result.Device));
        Expect.Close(y, result, tol, $"swiglu on {device} in {dtype.ShortName()}");
        result.Sum().Backward();
        Expect.Close(gateGrad, g.Grad!, tol, "∂y/∂gate");
        Expect.Close(upGrad, u.Grad!, tol, "∂y/∂up");
    }

    [Fact]
    public void SwiGlu_gives_the_worked_values_and_gradients()
    {
        CheckSwiGlu(Device.Cpu, DType.Float64, Tight);
        CheckSwiGlu(Device.Cpu, DType.Float32, 1e-6);
    }

    [Fact]
    public void MatMul_multiplies_matrices_batches_and_vectors()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray([1.0, 2, 3, 4, 5, 6], [2, 3]);
        var b = Tensor.FromArray([7.0, 8, 9, 10, 11, 12], [3, 2]);
        // [1 2 3; 4 5 6] × [7 8; 9 10; 11 12] = [58 64; 139 154].
        Expect.Close([58, 64, 139, 154], Functional.MatMul(a, b), Tight, "2×3 · 3×2");
        Expect.Shape([2, 2], Functional.MatMul(a, b), "matmul shape");

        // A batch [2, 2, 3] against one shared [3, 1]: each batch entry separately.
        double[] batch = Randn(1, 12), column = [1, -1, 2];
        var y = Functional.MatMul(Tensor.FromArray(batch, [2, 2, 3]), Tensor.FromArray(column, [3, 1]));
        Expect.Shape([2, 2, 1], y, "batched shape");
        Expect.Close(Reference.MatMul(batch, column, 4, 3, 1), y, Tight, "batched");

        // Matrix × vector drops the vector's dimension.
        var mv = Functional.MatMul(a, Tensor.FromArray([1.0, 0, -1]));
        Expect.Shape([2], mv, "matrix · vector shape");
        Expect.Close([-2, -2], mv, Tight, "matrix · vector");
    }

    [Fact]
    public void Linear_is_x_times_W_transposed_plus_b()
    {
        using var scope = DisposeScope.Enter();
        double[] x = Randn(2, 6), w = Randn(3, 12), b = [0.5, -1, 2, 0];
        var xt = Tensor.FromArray(x, [2, 3]);
        var wt = Tensor.FromArray(w, [4, 3]);
        Expect.Close(Reference.Linear(x, w, b, 2, 3, 4), Functional.Linear(xt, wt, Tensor.FromArray(b)), Tight, "with bias");
        Expect.Close(Reference.Linear(x, w, null, 2, 3, 4), Functional.Linear(xt, wt), Tight, "without bias");
        Expect.Shape([2, 4], Functional.Linear(xt, wt), "linear shape");
        // Leading dimensions pass through.
        Expect.Shape([1, 2, 4], Functional.Linear(xt.Unsqueeze(0), wt), "linear over a batch");
        // By hand: [1, 2] · [[1, 0], [1, 1], [0, 3]]ᵀ + [1, 1, 1] = [2, 4, 7].
        Expect.Close([2, 4, 7], Functional.Linear(Tensor.FromArray([1.0, 2], [1, 2]), Tensor.FromArray([1.0, 0, 1, 1, 0, 3], [3, 2]),
            Tensor.Ones([3], DType.Float64)), Tight, "by hand");
    }

    [Fact]
    public void Embedding_takes_rows_of_the_weight()
    {
        using var scope = DisposeScope.Enter();
        var weight = Tensor.FromArray([0.0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32], [4, 3]);
        var rows = Functional.Embedding(weight, Tensor.FromArray([1L, 3, 0, 1], [2, 2]));
        Expect.Shape([2, 2, 3], rows, "embedding shape");
        Expect.Close([10, 11, 12, 30, 31, 32, 0, 1, 2, 10, 11, 12], rows, Tight, "embedding rows");
        // i32 ids are accepted too.
        Expect.Close([20, 21, 22], Functional.Embedding(weight, Tensor.FromArray([2])), Tight, "i32 ids");
    }

    [Fact]
    public void Softmax_and_LogSoftmax_match_their_formulas()
    {
        using var scope = DisposeScope.Enter();
        double[] x = [1, 2, 3, -1, 0, 1000];
        var t = Tensor.FromArray(x, [2, 3]);
        Expect.Close(Reference.SoftmaxRows(x, 2, 3), Functional.Softmax(t, -1), Tight, "softmax");
        Expect.Close(Reference.LogSoftmaxRows(x, 2, 3), Functional.LogSoftmax(t, 1), Tight, "log_softmax");
        // By hand: softmax(1, 2, 3) = (1, e, e²) / (1 + e + e²).
        var z = 1 + Math.E + Math.E * Math.E;
        Expect.Close([1 / z, Math.E / z, Math.E * Math.E / z], Functional.Softmax(t, 1).Select(0, 0), Tight, "softmax by hand");
        // Over dimension 0 each column sums to one.
        var transposed = new double[] { 1, -1, 2, 0, 3, 1000 };
        Expect.Close(Reference.SoftmaxRows(transposed, 3, 2), Functional.Softmax(t, 0).Transpose(0, 1), Tight, "softmax over dim 0");
        Expect.Close([1, 1, 1], Functional.Softmax(t, 0).Sum(0), Tight, "columns sum to one");
    }

    /// <summary>The losses −log softmax(row)[target] of the test logits, by the reference loop.</summary>
    private static double[] RowLosses(double[] logits, long[] targets, int classes)
    {
        var logp = Reference.LogSoftmaxRows(logits, targets.Length, classes);
        return [.. targets.Select((t, i) => t < 0 || t >= classes ? 0 : -logp[i * classes + t])];
    }

    [Fact]
    public void CrossEntropy_takes_half_precision_logits_in_f32()
    {
        using var scope = DisposeScope.Enter();
        var t = Tensor.FromArray([3L, -100, 1]);
        foreach (var dtype in new[] { DType.BFloat16, DType.Float16 })
        {
            // The loss of the rounded logits, computed in f32 as transformers casts them: not a half-precision log-softmax.
            var half = Tensor.FromArray([1.0, 2, 3, 4, 0, 0, 0, 0, -1, 5, 2, 0.5], [3, 4]).To(dtype);
            var loss = Functional.CrossEntropy(half, t, reduction: Reduction.None);
            Assert.Equal(DType.Float32, loss.DType);
            Assert.Equal(Functional.CrossEntropy(half.To(DType.Float32), t, reduction: Reduction.None).ToArray<float>(), loss.ToArray<float>());
        }
    }

    [Fact]
    public void CrossEntropy_averages_over_the_targets_kept()
    {
        using var scope = DisposeScope.Enter();
        double[] logits = [1, 2, 3, 4, 0, 0, 0, 0, -1, 5, 2, 0.5];
        long[] targets = [3, -100, 1];
        var l = Tensor.FromArray(logits, [3, 4]);
        var t = Tensor.FromArray(targets);
        var rows = RowLosses(logits, targets, 4);

        Expect.Close([rows[0], 0, rows[2]], Functional.CrossEntropy(l, t, reduction: Reduction.None), Tight, "none");
        Expect.Close(rows[0] + rows[2], Functional.CrossEntropy(l, t, reduction: Reduction.Sum).ToDouble(), Tight, "sum");
        // The mean divides by the two targets kept, not by three rows.
        Expect.Close((rows[0] + rows[2]) / 2, Functional.CrossEntropy(l, t).ToDouble(), Tight, "mean");

        // By hand, row 1 of uniform logits: −log(1/4) = log 4, whatever the target.
        Expect.Close(Math.Log(4), Functional.CrossEntropy(l.Narrow(0, 1, 1), Tensor.FromArray([2L])).ToDouble(), Tight, "uniform row");
        // By hand, row 0 with target 3: log(e + e² + e³ + e⁴) − 4.
        var row0 = Math.Log(Math.E + Math.Exp(2) + Math.Exp(3) + Math.Exp(4)) - 4;
        Expect.Close(row0, rows[0], Tight, "reference row 0");

        // Another ignore index: 1 drops row 2 instead, and −100 is then an error.
        long[] other = [3, 2, 1];
        var kept = RowLosses(logits, other, 4);
        Expect.Close((kept[0] + kept[1]) / 2, Functional.CrossEntropy(l, Tensor.FromArray(other), ignoreIndex: 1).ToDouble(), Tight,
            "ignore index 1");
        Assert.Throws<TorchException>(() => Functional.CrossEntropy(l, t, ignoreIndex: 1));
    }

    [Fact]
    public void Silu_is_x_times_sigmoid_x()
    {
        using var scope = DisposeScope.Enter();
        // By hand: silu(0) = 0, silu(1) = 1 / (1 + e⁻¹), silu(−1) = −1 / (1 + e).
        Expect.Close([0, 1 / (1 + Math.Exp(-1)), -1 / (1 + Math.E)], Tensor.FromArray([0.0, 1, -1]).Silu(), Tight, "silu");
    }

    // ---- attention ------------------------------------------------------------

    private const int B = 1, H = 2, L = 3, D = 4;

    private static (double[] Q, double[] K, double[] V) Qkv(int l, int s) =>
        (Randn(10, B * H * l * D), Randn(11, B * H * s * D), Randn(12, B * H * s * D));

    private static Tensor Shaped(double[] values, int seq) => Tensor.FromArray(values, [B, H, seq, D]);

    [Fact]
    public void Choosing_attention_kernels_on_an_older_libtorch_fails_naming_the_version_it_needs()
    {
        if (TorchRuntime.HasAttentionKernelChoice) Assert.Skip($"libtorch {TorchRuntime.Version} can choose them (CudaTests cover it)");
        var e = Assert.Throws<TorchException>(() => TorchRuntime.UseAttentionKernels(AttentionKernels.Cudnn | AttentionKernels.Math));
        Assert.Contains("libtorch 2.8", e.Message);
    }

    [Fact]
    public void Attention_without_a_mask_attends_everywhere()
    {
        using var scope = DisposeScope.Enter();
        var (q, k, v) = Qkv(L, L);
        var expected = Reference.Attention(q, k, v, B * H, L, L, D, 1 / Math.Sqrt(D), (_, _) => 0);
        var y = Functional.ScaledDotProductAttention(Shaped(q, L), Shaped(k, L), Shaped(v, L));
        Expect.Shape([B, H, L, D], y, "attention shape");
        Expect.Close(expected, y, Tight, "unmasked");
    }

    [Fact]
    public void Causal_attention_lets_query_i_see_keys_up_to_i()
    {
        using var scope = DisposeScope.Enter();
        var (q, k, v) = Qkv(L, L);
        var expected = Reference.Attention(q, k, v, B * H, L, L, D, 1 / Math.Sqrt(D), (i, j) => j <= i ? 0 : double.NegativeInfinity);
        Expect.Close(expected, Functional.ScaledDotProductAttention(Shaped(q, L), Shaped(k, L), Shaped(v, L), isCausal: true), Tight, "causal");

        // With fewer queries than keys the mask is aligned top-left: query i still sees keys 0 … i.
        var (q2, k2, v2) = Qkv(2, 3);
        var topLeft = Reference.Attention(q2, k2, v2, B * H, 2, 3, D, 1 / Math.Sqrt(D), (i, j) => j <= i ? 0 : double.NegativeInfinity);
        Expect.Close(topLeft, Functional.ScaledDotProductAttention(Shaped(q2, 2), Shaped(k2, 3), Shaped(v2, 3), isCausal: true), Tight,
            "causal, 2 queries × 3 keys");

        // The first query sees only the first key, so it returns the first value row.
        var first = Functional.ScaledDotProductAttention(Shaped(q, L), Shaped(k, L), Shaped(v, L), isCausal: true).Select(2, 0);
        Expect.Close(v.AsSpan(0, D), first.Select(1, 0).Select(0, 0), Tight, "first query, first head");
    }

    [Fact]
    public void Boolean_mask_attends_where_true()
    {
        using var scope = DisposeScope.Enter();
        var (q, k, v) = Qkv(L, L);
        // Query 0 sees keys 0 and 2, query 1 sees key 1, query 2 sees all; the mask broadcasts over batch and heads.
        bool[] keep = [true, false, true, false, true, false, true, true, true];
        var expected = Reference.Attention(q, k, v, B * H, L, L, D, 1 / Math.Sqrt(D), (i, j) => keep[i * L + j] ? 0 : double.NegativeInfinity);
        var mask = Tensor.FromArray(keep, [L, L]);
        Expect.Close(expected, Functional.ScaledDotProductAttention(Shaped(q, L), Shaped(k, L), Shaped(v, L), mask), Tight, "boolean mask");
        Assert.Throws<TorchException>(() =>
            Functional.ScaledDotProductAttention(Shaped(q, L), Shaped(k, L), Shaped(v, L), mask, isCausal: true));
    }

    [Fact]
    public void Additive_mask_is_added_to_the_scores()
    {
        using var scope = DisposeScope.Enter();
        var (q, k, v) = Qkv(L, L);
        double[] bias = [0, -1, 0.5, 2, 0, double.NegativeInfinity, -3, 0, 1];
        var expected = Reference.Attention(q, k, v, B * H, L, L, D, 1 / Math.Sqrt(D), (i, j) => bias[i * L + j]);
        var mask = Tensor.FromArray(bias, [1, 1, L, L]);
        Expect.Close(expected, Functional.ScaledDotProductAttention(Shaped(q, L), Shaped(k, L), Shaped(v, L), mask), Tight, "additive mask");
    }

    [Fact]
    public void Custom_scale_replaces_one_over_root_d()
    {
        using var scope = DisposeScope.Enter();
        var (q, k, v) = Qkv(L, L);
        var expected = Reference.Attention(q, k, v, B * H, L, L, D, 0.9, (i, j) => j <= i ? 0 : double.NegativeInfinity);
        Expect.Close(expected, Functional.ScaledDotProductAttention(Shaped(q, L), Shaped(k, L), Shaped(v, L), isCausal: true, scale: 0.9),
            Tight, "scale 0.9");
        // Scale 0 makes every score equal: each query averages the values it may see.
        var uniform = Functional.ScaledDotProductAttention(Shaped(q, L), Shaped(k, L), Shaped(v, L), scale: 0);
        var mean = Enumerable.Range(0, D).Select(t => (v[t] + v[D + t] + v[2 * D + t]) / 3).ToArray();
        Expect.Close(mean, uniform.Select(0, 0).Select(0, 0).Select(0, 1), Tight, "scale 0, head 0, query 1");
    }

    [Fact]
    public void Attention_in_f32_agrees_with_the_f64_reference()
    {
        using var scope = DisposeScope.Enter();
        var (q, k, v) = Qkv(L, L);
        var expected = Reference.Attention(q, k, v, B * H, L, L, D, 1 / Math.Sqrt(D), (i, j) => j <= i ? 0 : double.NegativeInfinity);
        Tensor F32(double[] x) => Tensor.FromArray(x, [B, H, L, D], DType.Float32);
        var y = Functional.ScaledDotProductAttention(F32(q), F32(k), F32(v), isCausal: true);
        Assert.Equal(DType.Float32, y.DType);
        Expect.Close(expected, y, 1e-5, "f32 causal");
    }

    [Fact]
    public void Grouped_query_attention_equals_attention_over_repeated_key_value_heads()
    {
        using var scope = DisposeScope.Enter();
        using var generator = new Generator(11);
        var q = Tensor.Randn([2, 6, 5, 4], generator, DType.Float64);
        var k = Tensor.Randn([2, 2, 5, 4], generator, DType.Float64);
        var v = Tensor.Randn([2, 2, 5, 4], generator, DType.Float64);
        // Query heads 0-2 share key/value head 0, heads 3-5 head 1.
        var expected = Functional.ScaledDotProductAttention(q, k.RepeatInterleave(3, 1), v.RepeatInterleave(3, 1), isCausal: true);
        var grouped = Functional.ScaledDotProductAttention(q, k, v, isCausal: true);
        Expect.Close(expected.ToArray<double>(), grouped, 1e-12, "grouped vs repeated heads");
    }
}
