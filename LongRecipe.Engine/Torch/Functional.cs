using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>How a loss over many elements is reduced to its result.</summary>
public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>Neural-network functions over tensors, after torch.nn.functional.</summary>
public static class Functional
{
    /// <summary>Matrix product with broadcasting over leading dimensions.</summary>
    public static Tensor MatMul(Tensor a, Tensor b) => Tensor.Wrap(Native.lr_matmul(a.Handle, b.Handle, out var r), r);

    /// <summary>y = x Wᵀ + b, with W of shape [out, in].</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) =>
        Tensor.Wrap(Native.lr_linear(x.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null, out var r), r);

    /// <summary>
    /// x Wᵢᵀ + bᵢ for each weight (biases may be null), of one input: where gradients are recorded and
    /// <see cref="TorchRuntime.UseSharedInputLinear"/> is on, backward sums x's gradient inside the matrix products
    /// (<see cref="SharedInputLinear"/>); else one <see cref="Linear"/> each.
    /// </summary>
    public static Tensor[] Linears(Tensor x, Tensor[] weights, Tensor?[] biases) =>
        TorchRuntime.UseSharedInputLinear && NoGradScope.IsEnabled && x.Dim >= 2
            ? new SharedInputLinear(x, weights, biases).Apply([x, .. weights, .. biases.OfType<Tensor>()])
            : [.. weights.Select((w, i) => Linear(x, w, biases[i]))];

    /// <summary>Rows of <paramref name="weight"/> [vocab, dim] at the i64 <paramref name="ids"/>.</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids) => Tensor.Wrap(Native.lr_embedding(weight.Handle, ids.Handle, out var r), r);

    /// <summary>
    /// y = w · x / √(mean(x²) + ε) over the last dimension, as one fused kernel (libtorch's
    /// rms_norm; see <see cref="TorchRuntime.HasFusedRmsNorm"/>). It rounds once at the end, where
    /// transformers rounds x / rms to the input dtype before the weight: bit-identical in f32 only.
    /// </summary>
    public static Tensor FusedRmsNorm(Tensor x, Tensor weight, double eps) =>
        Tensor.Wrap(Native.lr_rms_norm(x.Handle, weight.Handle, eps, out var r), r);

    /// <summary>
    /// silu(gate) · up, SwiGLU's product: gate · σ(gate) · up. On CUDA with <see cref="TorchRuntime.UseJitKernels"/> one
    /// kernel forward and one backward, computing in f32 and rounding once, where silu and the product take one forward
    /// and three backward, each rounding; backward keeps only gate and up. Elsewhere silu and the product, as
    /// transformers computes them.
    /// </summary>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        if (!(gate.Device.IsCuda && TorchRuntime.UseJitKernels)) return gate.Silu() * up;
        return Tensor.Wrap(Native.lr_jit_binary(SwiGluKernel, "swiglu", SwiGluGradientKernel, "swiglu_gradient", gate.Handle, up.Handle, out var r), r);
    }

    // y = g·σ(g)·u;  ∂y/∂u = g·σ(g);  ∂y/∂g = u·σ(g)·(1 + g·(1 − σ(g))).
    private const string SwiGluKernel = """
        template <typename T> T swiglu(T gate, T up) {
          float g = static_cast<float>(gate);
          return static_cast<T>(g / (1.0f + expf(-g)) * static_cast<float>(up));
        }
        """;

    private const string SwiGluGradientKernel = """
        template <typename T> void swiglu_gradient(T dy, T gate, T up, T& dgate, T& dup) {
          float g = static_cast<float>(gate);
          float s = 1.0f / (1.0f + expf(-g));
          float d = static_cast<float>(dy);
          dup = static_cast<T>(d * g * s);
          dgate = static_cast<T>(d * static_cast<float>(up) * s * (1.0f + g * (1.0f - s)));
        }
        """;

    /// <summary>exp(x_i) / Σ_j exp(x_j) along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, long dim) => Tensor.Wrap(Native.lr_softmax(x.Handle, dim, out var r), r);

    /// <summary>x_i − log Σ_j exp(x_j) along <paramref name="dim"/>, computed stably.</summary>
    public static Tensor LogSoftmax(Tensor x, long dim) => Tensor.Wrap(Native.lr_log_softmax(x.Handle, dim, out var r), r);

    /// <summary>
    /// −log softmax(logits)[target] for logits [N, C] and i64 targets [N]. Targets equal to
    /// <paramref name="ignoreIndex"/> contribute nothing; Mean divides by the targets kept. Half-precision logits are
    /// taken in f32, as transformers' loss casts them; on CUDA with <see cref="TorchRuntime.UseCompiledKernels"/> two kernels of
    /// the engine's own do that without an f32 copy (<see cref="CrossEntropyKernel"/>).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        if (CrossEntropyKernel.Applies(logits, targets))
        {
            var losses = new CrossEntropyKernel(logits, targets, ignoreIndex).Apply(logits)[0];
            return reduction switch
            {
                Reduction.None => losses,
                Reduction.Sum => losses.Sum(),
                _ => losses.Sum() / targets.Ne(ignoreIndex).Sum().To(DType.Float32),
            };
        }
        var wide = logits.DType is DType.BFloat16 or DType.Float16 ? logits.To(DType.Float32) : logits;
        return Tensor.Wrap(Native.lr_cross_entropy(wide.Handle, targets.Handle, ignoreIndex, (int)reduction, out var r), r);
    }

    /// <summary>
    /// softmax(q kᵀ · scale + mask) v over [batch, heads, seq, head_dim]. The mask is boolean
    /// (true = attend) or additive; <paramref name="isCausal"/> lets query i see keys 0 … i.
    /// The scale defaults to 1/√head_dim. Keys and values may have fewer heads than queries
    /// (grouped-query attention): each then serves heads / kv_heads consecutive query heads.
    /// Runs libtorch's fused kernels where it has them.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool isCausal = false,
        double? scale = null)
    {
        var (heads, kvHeads) = (q.Size(1), k.Size(1));
        var grouped = heads != kvHeads;
        if (grouped && !TorchRuntime.HasGroupedQueryAttention)
        {
            if (heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads cannot share {kvHeads} key/value heads");
            (k, v, grouped) = (k.RepeatInterleave(heads / kvHeads, 1), v.RepeatInterleave(heads / kvHeads, 1), false);
        }
        return Tensor.Wrap(Native.lr_attention(q.Handle, k.Handle, v.Handle, mask?.Handle ?? TensorHandle.Null, isCausal ? 1 : 0,
            scale ?? 1.0 / Math.Sqrt(q.Size(-1)), grouped ? 1 : 0, out var r), r);
    }
}
