using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Optim;

public static class StochasticRounding
{
    /// <summary>
    /// Rounds f32 values to bf16 stochastically: each x becomes the bf16 neighbour farther from zero with
    /// probability (|x| − |lo|) / (|hi| − |lo|), the nearer-to-zero one otherwise, so E[round(x)] = x. An update
    /// far below half a bf16 step (lr 2e-5 on a weight of 0.02, say) then moves the weight on average instead
    /// of vanishing. bf16 is the high half of an f32's bits: adding 16 uniform random bits to the low half and
    /// clearing it carries into the high half with exactly that probability. Values that bf16 holds exactly and
    /// ±∞ come back unchanged; NaN stays NaN (its high mantissa bits are set); a value within one step of bf16's
    /// largest may round to ∞. <paramref name="random"/> draws the bits (on the values' device, for speed).
    /// </summary>
    public static Tensor ToBFloat16(Tensor x, Generator random)
    {
        if (x.DType != DType.Float32) throw new ArgumentException($"stochastic rounding takes f32 values, not {x.DType.ShortName()}", nameof(x));
        using var scope = DisposeScope.Enter();
        var bits = Tensor.RandInt(0, 1 << 16, x.Shape, random, DType.Int32, x.Device);
        bits.AddInPlace(x.Contiguous().ViewAs(DType.Int32));
        // −65536 is 0xFFFF0000: the sign, the exponent and bf16's 7 mantissa bits.
        return scope.MoveToOuter(bits.BitwiseAnd(-65536).ViewAs(DType.Float32).To(DType.BFloat16));
    }
}
