using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>
/// Rotary position embedding on tensors, as transformers' LlamaRotaryEmbedding and
/// apply_rotary_pos_emb compute it. Positions are explicit i64 ids [batch, seq], which may skip
/// (LongRecipe, PoSE and RPES give short sequences ids spread over a long window).
/// </summary>
public static class Rotary
{
    /// <summary>
    /// cos and sin [batch, seq, rotary_dim] for <paramref name="positionIds"/> [batch, seq], in
    /// <paramref name="dtype"/> (the activations' dtype). Dynamic and longrope frequencies follow the
    /// batch's largest position: seq_len = max(position_ids) + 1 over the whole batch, as in transformers
    /// when each batch runs on a freshly loaded model (its dynamic cache only ever grows within a session).
    /// </summary>
    public static (Tensor Cos, Tensor Sin) CosSin(LlamaConfig config, Tensor positionIds, DType dtype)
    {
        var rope = config.RopeScaling;
        long? sequenceLength = rope.Type is RopeType.Dynamic or RopeType.LongRope ? MaxPosition(positionIds) + 1 : null;
        return CosSin(Rope.Compute(rope, config.HeadDim, config.MaxPositionEmbeddings, sequenceLength), positionIds, dtype);
    }

    /// <summary>
    /// cos and sin [batch, seq, rotary_dim] from given frequencies:
    ///   freqs[b, t, i] = position_ids[b, t] · θ_i         (float32, the product rounded once)
    ///   emb = cat(freqs, freqs) along the last dimension
    ///   cos = cos(emb) · attention_scaling,  sin = sin(emb) · attention_scaling
    /// computed in float32 whatever the model's dtype, then converted to <paramref name="dtype"/>.
    /// With LongRoPE's n̂ &gt; 0, positions below n̂ take the same formula with the original θ_i and
    /// multiplier 1 instead: the plain model's rotation, exactly.
    /// </summary>
    public static (Tensor Cos, Tensor Sin) CosSin(RopeFrequencies frequencies, Tensor positionIds, DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var positions = positionIds.To(DType.Float32).Unsqueeze(-1);
        var (cos, sin) = Rotation(frequencies.InverseFrequencies, frequencies.AttentionScaling, positions);
        if (frequencies is { InitialUnscaledTokens: > 0 and var unscaled, OriginalInverseFrequencies: { } original })
        {
            var (plainCos, plainSin) = Rotation(original, 1.0, positions);
            var below = positionIds.Lt(unscaled).Unsqueeze(-1);
            (cos, sin) = (Tensor.Where(below, plainCos, cos), Tensor.Where(below, plainSin, sin));
        }
        return (scope.MoveToOuter(cos.To(dtype)), scope.MoveToOuter(sin.To(dtype)));
    }

    /// <summary>cos(emb) and sin(emb) times the multiplier, emb = cat(p · θ, p · θ), in float32.</summary>
    private static (Tensor Cos, Tensor Sin) Rotation(float[] inverseFrequencies, double attentionScaling, Tensor positions)
    {
        var freqs = positions * Tensor.FromArray(inverseFrequencies, device: positions.Device);
        var emb = Tensor.Cat([freqs, freqs], -1);
        Tensor cos = emb.Cos(), sin = emb.Sin();
        // Multiplying by 1 changes nothing, so the default types skip it.
        return attentionScaling == 1.0 ? (cos, sin) : (cos * attentionScaling, sin * attentionScaling);
    }

    /// <summary>
    /// Rotates queries [batch, heads, seq, head_dim] and keys [batch, kv_heads, seq, head_dim] by
    /// cos and sin [batch, seq, rotary_dim] (broadcast over the heads):
    ///   x' = x · cos + rotate_half(x) · sin,   rotate_half(x) = cat(−x[…, d/2:], x[…, :d/2])
    /// on the first rotary_dim dimensions; the rest (partial rotary) pass through unchanged.
    /// </summary>
    public static (Tensor Q, Tensor K) ApplyRotary(Tensor q, Tensor k, Tensor cos, Tensor sin)
    {
        using var scope = DisposeScope.Enter();
        var signedSin = SignedSin(sin);
        return (scope.MoveToOuter(Rotate(q.Transpose(1, 2), cos, signedSin).Transpose(1, 2)),
            scope.MoveToOuter(Rotate(k.Transpose(1, 2), cos, signedSin).Transpose(1, 2)));
    }

    /// <summary>
    /// sin± = cat(−sin[…, :d/2], sin[…, d/2:]): rotate_half's sign moved onto the table, so that
    /// rotate_half(x) · sin = swap_halves(x) · sin±. A model makes it once a forward and passes it to every layer.
    /// </summary>
    public static Tensor SignedSin(Tensor sin)
    {
        using var scope = DisposeScope.Enter();
        var d = sin.Size(-1);
        return scope.MoveToOuter(Tensor.Cat([sin.Slice(-1, 0, d / 2).Neg(), sin.Slice(-1, d / 2, d)], -1));
    }

    /// <summary>
    /// <see cref="ApplyRotary"/> over x [batch, seq, heads, head_dim], heads after the sequence as the projections give
    /// them, with sin± (<see cref="SignedSin"/>) for sin: x' = x · cos + swap_halves(x) · sin±. On CUDA with
    /// <see cref="TorchRuntime.UseCompiledKernels"/> one kernel forward and one backward (<see cref="RotaryKernel"/>); elsewhere
    /// one flip, one product and one fused multiply-add, backward four kernels, where cat(−x₂, x₁) took nine.
    /// </summary>
    public static Tensor Rotate(Tensor x, Tensor cos, Tensor signedSin)
    {
        if (RotaryKernel.Applies(x, cos)) return new RotaryKernel(x, cos, signedSin).Apply(x)[0];
        using var scope = DisposeScope.Enter();
        long rotaryDim = cos.Size(-1), headDim = x.Size(-1);
        var part = rotaryDim == headDim ? x : x.Slice(-1, 0, rotaryDim);
        long[] shape = part.Shape, halves = [.. shape[..^1], 2, rotaryDim / 2];
        var swapped = part.Reshape(halves).Flip(-2).Reshape(shape);
        var rotated = (part * cos.Unsqueeze(2)).AddcmulInPlace(swapped, signedSin.Unsqueeze(2));
        var result = rotaryDim == headDim ? rotated : Tensor.Cat([rotated, x.Slice(-1, rotaryDim, headDim)], -1);
        return scope.MoveToOuter(result);
    }

    private static long MaxPosition(Tensor positionIds)
    {
        using var scope = DisposeScope.Enter();
        return positionIds.Max().ToInt64();
    }
}
