using LongRecipe.Engine.Model;

namespace LongRecipe.Engine.Tests.Model;

/// <summary>Inverse frequencies against values computed by hand from each rope type's formula (head_dim 8, θ = 10000).</summary>
public class RopeTests
{
    private const int HeadDim = 8;

    private static void AssertClose(double[] expected, float[] actual, double relative, string label)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * Math.Abs(expected[i]),
                $"{label}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (relative tolerance {relative})");
    }

    private static RopeFrequencies Compute(RopeScaling rope, long maxPositions = 64, long? sequenceLength = null) =>
        Rope.Compute(rope, HeadDim, maxPositions, sequenceLength);

    [Fact]
    public void Default_is_one_over_theta_to_the_2i_over_d()
    {
        var f = Compute(new RopeScaling());
        AssertClose([1, 0.1, 0.01, 0.001], f.InverseFrequencies, 1e-7, "default θ_i");
        Assert.Equal(1.0, f.AttentionScaling);
    }

    [Fact]
    public void Linear_divides_every_frequency_by_the_factor()
    {
        var f = Compute(new RopeScaling { Type = RopeType.Linear, Factor = 4 });
        AssertClose([0.25, 0.025, 0.0025, 0.00025], f.InverseFrequencies, 1e-7, "linear θ_i");
        Assert.Equal(new[] { 4.0, 4, 4, 4 }, Rope.ScaleFactors(new RopeScaling { Type = RopeType.Linear, Factor = 4 }, HeadDim, 64));
    }

    [Fact]
    public void Dynamic_is_default_within_the_window_and_grows_the_base_beyond_it()
    {
        var rope = new RopeScaling { Type = RopeType.Dynamic, Factor = 2 };
        var plain = Compute(new RopeScaling()).InverseFrequencies;
        Assert.Equal(plain, Compute(rope).InverseFrequencies);
        Assert.Equal(plain, Compute(rope, sequenceLength: 64).InverseFrequencies);

        // n = 128, M = 64, s = 2: θ' = 10000 · (2·128/64 − 1)^(8/6) = 10000 · 3^(4/3)
        var theta = 10000 * Math.Pow(3, 4.0 / 3);
        var expected = Enumerable.Range(0, 4).Select(i => Math.Pow(theta, -2.0 * i / HeadDim)).ToArray();
        AssertClose(expected, Compute(rope, sequenceLength: 128).InverseFrequencies, 1e-6, "dynamic θ_i at n = 128");
    }

    [Fact]
    public void Llama3_keeps_high_frequencies_divides_low_ones_and_blends_the_middle()
    {
        // L = 64, low 1, high 4: wavelengths under 16 are kept, over 64 divided by s = 8.
        var rope = new RopeScaling
        {
            Type = RopeType.Llama3, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 64,
        };
        var wavelength1 = 2 * Math.PI / 0.1; // 62.8: between 16 and 64
        var sigma = (64 / wavelength1 - 1) / (4 - 1);
        double[] expected = [1, (1 - sigma) * 0.1 / 8 + sigma * 0.1, 0.01 / 8, 0.001 / 8];
        AssertClose(expected, Compute(rope, maxPositions: 256).InverseFrequencies, 1e-6, "llama3 θ_i");
    }

    [Fact]
    public void Yarn_ramps_from_extrapolation_to_interpolation_and_scales_attention()
    {
        // dim(r) = 8 ln(64 / 2πr) / (2 ln 10000): dim(32) = −0.50 → lo = 0, dim(1) = 1.008 → hi = 2.
        // γ = 1 − clamp(i / 2, 0, 1) = [1, ½, 0, 0], θ_i' = (θ_i / 4)(1 − γ_i) + θ_i γ_i.
        var rope = new RopeScaling { Type = RopeType.Yarn, Factor = 4, OriginalMaxPositionEmbeddings = 64 };
        var f = Compute(rope, maxPositions: 256);
        AssertClose([1, 0.5 * 0.025 + 0.5 * 0.1, 0.0025, 0.00025], f.InverseFrequencies, 1e-7, "yarn θ_i");
        Assert.Equal(0.1 * Math.Log(4) + 1, f.AttentionScaling, 12);

        // Without truncation hi stays 1.008, so dimension 1 is almost fully interpolated.
        var hi = 8 * Math.Log(64 / (2 * Math.PI)) / (2 * Math.Log(10000));
        var gamma = 1 - 1 / hi;
        var loose = Compute(rope with { Truncate = false }, maxPositions: 256).InverseFrequencies;
        AssertClose([1, 0.025 * (1 - gamma) + 0.1 * gamma, 0.0025, 0.00025], loose, 1e-6, "yarn θ_i, truncate = false");
    }

    [Fact]
    public void Yarn_attention_factor_variants()
    {
        var rope = new RopeScaling { Type = RopeType.Yarn, Factor = 4, OriginalMaxPositionEmbeddings = 64 };
        Assert.Equal((0.1 * 1 * Math.Log(4) + 1) / (0.1 * 0.5 * Math.Log(4) + 1),
            Compute(rope with { Mscale = 1, MscaleAllDim = 0.5 }).AttentionScaling, 12);
        Assert.Equal(0.7, Compute(rope with { AttentionFactor = 0.7 }).AttentionScaling);
    }

    [Fact]
    public void Longrope_switches_to_long_factors_past_the_original_window()
    {
        var rope = new RopeScaling
        {
            Type = RopeType.LongRope, OriginalMaxPositionEmbeddings = 64, ShortFactor = [1, 2, 3, 4], LongFactor = [5, 6, 7, 8],
        };
        double[] Expected(double[] factors) => [1 / factors[0], 0.1 / factors[1], 0.01 / factors[2], 0.001 / factors[3]];
        AssertClose(Expected([1, 2, 3, 4]), Compute(rope, 256).InverseFrequencies, 1e-7, "longrope at load");
        AssertClose(Expected([1, 2, 3, 4]), Compute(rope, 256, sequenceLength: 64).InverseFrequencies, 1e-7, "longrope, n = L");
        AssertClose(Expected([5, 6, 7, 8]), Compute(rope, 256, sequenceLength: 65).InverseFrequencies, 1e-7, "longrope, n = L + 1");
        // s = 256 / 64 = 4: √(1 + ln 4 / ln 64) = √(4/3)
        Assert.Equal(Math.Sqrt(4.0 / 3), Compute(rope, 256).AttentionScaling, 12);
        Assert.Equal(1.0, Compute(rope, 64).AttentionScaling);
    }

    [Fact]
    public void Partial_rotary_uses_the_first_fraction_of_the_head()
    {
        var f = Rope.Compute(new RopeScaling { PartialRotaryFactor = 0.5 }, headDim: 16, maxPositionEmbeddings: 64);
        AssertClose([1, 0.1, 0.01, 0.001], f.InverseFrequencies, 1e-7, "θ_i with d = 16 · 0.5");
    }

    [Fact]
    public void Wavelengths_are_two_pi_over_the_frequencies()
    {
        var wavelengths = Rope.Wavelengths(Compute(new RopeScaling()).InverseFrequencies);
        for (var i = 0; i < 4; i++) Assert.Equal(2 * Math.PI * Math.Pow(10, i), wavelengths[i], 1e-4 * Math.Pow(10, i));
    }
}
