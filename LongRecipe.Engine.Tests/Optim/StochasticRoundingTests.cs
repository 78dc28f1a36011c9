using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Optim;

/// <summary>Stochastic rounding to bf16 against its neighbours worked by hand, and its mean against the value.</summary>
public class StochasticRoundingTests
{
    // bf16 keeps 7 fraction bits: in [1, 2) its step is 2⁻⁷ = 0.0078125.
    private const double Step = 1.0 / 128;

    private static double[] Round(float value, int count, ulong seed)
    {
        using var scope = DisposeScope.Enter();
        using var random = new Generator(seed);
        return Expect.Values(StochasticRounding.ToBFloat16(Tensor.Full([count], value), random));
    }

    [Fact]
    public void Values_bf16_holds_come_back_unchanged()
    {
        using var scope = DisposeScope.Enter();
        using var random = new Generator(1);
        // 2⁻¹⁰⁰ and −(2 − 2⁻⁷)·2¹²⁷ (bf16's largest) among them.
        double[] exact = [0, 1, -2.5, 1.0078125, Math.Pow(2, -100), -3.3895313892515355e38, double.PositiveInfinity, double.NegativeInfinity];
        var rounded = StochasticRounding.ToBFloat16(Tensor.FromArray(exact.Select(v => (float)v).ToArray()), random);
        Assert.Equal(DType.BFloat16, rounded.DType);
        Assert.Equal(exact, Expect.Values(rounded));
        Assert.True(double.IsNaN(Expect.Values(StochasticRounding.ToBFloat16(Tensor.FromArray([float.NaN]), random))[0]));
    }

    [Fact]
    public void Every_result_is_one_of_the_two_neighbours()
    {
        // 1 + 2⁻¹⁰ lies between the bf16 values 1 and 1 + 2⁻⁷; −(1 + 3·2⁻⁹) between −1 and −(1 + 2⁻⁷).
        Assert.All(Round(1 + 1f / 1024, 4096, 1), v => Assert.True(v is 1 or 1 + Step, $"{v}"));
        Assert.All(Round(-(1 + 3f / 512), 4096, 2), v => Assert.True(v is -1 or -(1 + Step), $"{v}"));
    }

    [Theory]
    [InlineData(1 + 1.0 / 1024, 1.0 / 8)]       // an eighth of the way from 1 to 1 + 2⁻⁷
    [InlineData(-(1 + 3.0 / 512), 3.0 / 4)]     // three quarters of the way from −1 to −(1 + 2⁻⁷)
    [InlineData(1 + 1.0 / 256, 1.0 / 2)]        // halfway: round to nearest would always pick the even one
    public void Rounding_is_unbiased_the_far_neighbour_taken_with_the_fraction_of_the_gap(double value, double up)
    {
        const int count = 1 << 20;
        var rounded = Round((float)value, count, 3);
        var far = rounded.Count(v => Math.Abs(v) > Math.Abs(value));
        // Binomial(n, p): the count of far neighbours within 5 standard deviations of n·p.
        var sigma = Math.Sqrt(count * up * (1 - up));
        Assert.InRange(far, count * up - 5 * sigma, count * up + 5 * sigma);
        // The mean, within 5 standard errors (step · √(p(1 − p) / n)) of the value itself.
        Expect.Close(value, rounded.Average(), 5 * Step * Math.Sqrt(up * (1 - up) / count), "mean of the rounded values");
    }

    [Fact]
    public void Many_updates_far_below_half_a_step_add_up_as_in_f32()
    {
        // 1000 additions of 1e-4 to a bf16 weight of 1 (half its step is 0.0039): rounded to nearest, each is lost
        // and the weight stays 1; rounded stochastically it reaches 1.1 in expectation, as f32 does.
        using var scope = DisposeScope.Enter();
        using var random = new Generator(4);
        var stochastic = Tensor.Ones([1024], DType.BFloat16);
        var nearest = Tensor.Ones([1024], DType.BFloat16);
        for (var i = 0; i < 1000; i++)
        {
            using var step = DisposeScope.Enter();
            stochastic.CopyFrom(StochasticRounding.ToBFloat16(stochastic.To(DType.Float32).Add(1e-4), random));
            nearest.CopyFrom(nearest.To(DType.Float32).Add(1e-4).To(DType.BFloat16));
        }
        Assert.All(Expect.Values(nearest), v => Assert.Equal(1.0, v));
        // Each weight takes 1000 steps of 0 or 2⁻⁷ (up with probability 1e-4 / 2⁻⁷ = 0.0128): it ends at 1.1 on average,
        // standard deviation 2⁻⁷ · √(1000 · 0.0128 · 0.9872) ≈ 0.028, so the mean of 1024 is within 5 · 0.00087.
        var weights = Expect.Values(stochastic);
        Expect.Close(1.1, weights.Average(), 0.0044 / 1.1, "mean weight after 1000 stochastic updates");
        Assert.All(weights, w => Assert.True(w > 1, $"a weight stayed at {w}"));
    }

    [Fact]
    public void Only_f32_values_are_rounded()
    {
        using var scope = DisposeScope.Enter();
        using var random = new Generator(5);
        Assert.Contains("f32", Assert.Throws<ArgumentException>(() => StochasticRounding.ToBFloat16(Tensor.Ones([2], DType.Float64), random)).Message);
    }
}
