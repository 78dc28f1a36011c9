using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>
/// Autograd against central differences, in f64, for every differentiable op the model uses.
/// Each non-scalar output is reduced as Σ out · R with a fixed random R, so that every output
/// element carries a different weight and a transposed or misplaced gradient cannot cancel out.
/// </summary>
public class GradientCheckTests
{
    private static Tensor Randn(ulong seed, params long[] shape) => Draw.Normal(seed, DType.Float64, shape);

    /// <summary>Σ y · R for a fixed R of y's shape.</summary>
    private static Tensor Project(Tensor y) => (y * Randn(99, y.Shape)).Sum();

    [Fact]
    public void The_check_catches_a_wrong_gradient()
    {
        using var scope = DisposeScope.Enter();
        // x · detach(x) has the value x² but autograd sees the derivative x, not 2x.
        var miss = Assert.ThrowsAny<Exception>(() => GradCheck.Run("deliberately wrong", t => (t[0] * t[0].Detach()).Sum(), Randn(1, 3)));
        Assert.Contains("deliberately wrong: d/d(input 0)", miss.Message);
        GradCheck.Run("x²", t => (t[0] * t[0]).Sum(), Randn(1, 3));
    }

    [Fact]
    public void MatMul()
    {
        using var scope = DisposeScope.Enter();
        GradCheck.Run("matmul", t => Project(Functional.MatMul(t[0], t[1])), Randn(1, 2, 3), Randn(2, 3, 4));
        GradCheck.Run("batched matmul", t => Project(Functional.MatMul(t[0], t[1])), Randn(3, 2, 2, 3), Randn(4, 3, 2));
    }

    [Fact]
    public void Linear()
    {
        using var scope = DisposeScope.Enter();
        GradCheck.Run("linear (x, W, b)", t => Project(Functional.Linear(t[0], t[1], t[2])), Randn(1, 2, 3), Randn(2, 4, 3), Randn(3, 4));
        GradCheck.Run("linear (x, W)", t => Project(Functional.Linear(t[0], t[1])), Randn(1, 2, 3), Randn(2, 4, 3));
    }

    [Fact]
    public void Embedding_weight()
    {
        using var scope = DisposeScope.Enter();
        // Id 1 appears twice: its row's gradient is the sum of both uses.
        var ids = Tensor.FromArray([1L, 3, 1, 0], [2, 2]);
        GradCheck.Run("embedding", t => Project(Functional.Embedding(t[0], ids)), Randn(1, 5, 3));
    }

    [Fact]
    public void RmsNorm()
    {
        using var scope = DisposeScope.Enter();
        const double eps = 1e-5;
        // x · rsqrt(mean(x², −1, keepdim) + ε) · w.
        GradCheck.Run("rmsnorm (x, w)", t => Project(t[0] * (t[0].Square().Mean(-1, keepDim: true) + eps).Rsqrt() * t[1]),
            Randn(1, 2, 4), Randn(2, 4));
    }

    [Fact]
    public void Softmax_and_LogSoftmax()
    {
        using var scope = DisposeScope.Enter();
        GradCheck.Run("softmax", t => Project(Functional.Softmax(t[0], -1)), Randn(1, 2, 4));
        GradCheck.Run("softmax over dim 0", t => Project(Functional.Softmax(t[0], 0)), Randn(2, 3, 2));
        GradCheck.Run("log_softmax", t => Project(Functional.LogSoftmax(t[0], -1)), Randn(3, 2, 4));
    }

    [Fact]
    public void Attention_causal()
    {
        using var scope = DisposeScope.Enter();
        GradCheck.Run("causal attention (q, k, v)",
            t => Project(Functional.ScaledDotProductAttention(t[0], t[1], t[2], isCausal: true)),
            Randn(1, 1, 2, 3, 4), Randn(2, 1, 2, 3, 4), Randn(3, 1, 2, 3, 4));
    }

    [Fact]
    public void Attention_masked()
    {
        using var scope = DisposeScope.Enter();
        var keep = Tensor.FromArray([true, false, true, false, true, false, true, true, true], [3, 3]);
        GradCheck.Run("boolean-masked attention (q, k, v)",
            t => Project(Functional.ScaledDotProductAttention(t[0], t[1], t[2], keep)),
            Randn(4, 1, 2, 3, 4), Randn(5, 1, 2, 3, 4), Randn(6, 1, 2, 3, 4));
        var bias = Tensor.FromArray([0, -1, 0.5, 2, 0, double.NegativeInfinity, -3, 0, 1], [3, 3]);
        GradCheck.Run("additive-masked attention (q, k, v), scale 0.7",
            t => Project(Functional.ScaledDotProductAttention(t[0], t[1], t[2], bias, scale: 0.7)),
            Randn(7, 1, 2, 3, 4), Randn(8, 1, 2, 3, 4), Randn(9, 1, 2, 3, 4));
    }

    [Fact]
    public void CrossEntropy_with_ignored_targets()
    {
        using var scope = DisposeScope.Enter();
        var targets = Tensor.FromArray([2L, -100, 0, 3, -100]);
        GradCheck.Run("cross-entropy, mean over kept", t => Functional.CrossEntropy(t[0], targets), Randn(1, 5, 4));
        GradCheck.Run("cross-entropy, sum", t => Functional.CrossEntropy(t[0], targets, reduction: Reduction.Sum), Randn(2, 5, 4));
    }

    [Fact]
    public void Silu()
    {
        using var scope = DisposeScope.Enter();
        GradCheck.Run("silu", t => Project(t[0].Silu()), Randn(1, 2, 5));
        // The SwiGLU gate: silu(x W₁ᵀ) ⊙ (x W₃ᵀ).
        GradCheck.Run("swiglu (x, W1, W3)",
            t => Project(Functional.Linear(t[0], t[1]).Silu() * Functional.Linear(t[0], t[2])),
            Randn(2, 2, 3), Randn(3, 4, 3), Randn(4, 4, 3));
    }

    [Fact]
    public void Rotary_embedding()
    {
        using var scope = DisposeScope.Enter();
        // cos and sin of position · θᵢ for 3 positions and head dimension 4, each frequency used twice.
        const int seq = 3, dim = 4;
        var angles = new double[seq * dim];
        for (var p = 0; p < seq; p++)
            for (var i = 0; i < dim; i++)
                angles[p * dim + i] = p * Math.Pow(10000, -2.0 * (i % (dim / 2)) / dim);
        var cos = Tensor.FromArray([.. angles.Select(Math.Cos)], [1, seq, dim]);
        var sin = Tensor.FromArray([.. angles.Select(Math.Sin)], [1, seq, dim]);
        // The model's rotation (a flip of the halves and sin with rotate_half's sign), [batch, seq, heads, head_dim];
        // then with two more dimensions that partial rotary passes through.
        GradCheck.Run("rotary", t => Project(Rotary.Rotate(t[0], cos, Rotary.SignedSin(sin))), Randn(1, 1, seq, 2, dim));
        GradCheck.Run("partial rotary", t => Project(Rotary.Rotate(t[0], cos, Rotary.SignedSin(sin))), Randn(2, 1, seq, 2, dim + 2));
    }
}
