using LongRecipe.Lab.Components.Pages.Positions;

namespace LongRecipe.Lab.Tests.Pages.Positions;

public sealed class RopeExplorerTests
{
    private static readonly RopeRequest Llama2Like = new(HeadDim: 64, Theta: 10_000, OriginalContext: 2048, Factor: 8);

    private static IReadOnlyList<double> Factors(RopeView view, string method) => view.ScaleFactors.Traces.Single(t => t.Name == method).Y;

    [Fact]
    public void PI_interpolates_every_pair_by_s()
    {
        Assert.All(Factors(RopeExplorer.Build(Llama2Like), "PI (linear)"), f => Assert.Equal(8, f, 4));
    }

    [Fact]
    public void NTK_grows_theta_by_s_to_the_d_over_d_minus_2_so_pair_i_scales_by_that_to_the_2i_over_d()
    {
        var factors = Factors(RopeExplorer.Build(Llama2Like), "NTK-aware");

        // θ' = θ·s^(d/(d−2)) → θᵢ/θᵢ' = s^((d/(d−2))·(2i/d)) = s^(2i/(d−2)); float32 in the engine.
        for (var i = 0; i < 32; i++) Assert.Equal(Math.Pow(8, 2.0 * i / 62), factors[i], 3);
    }

    [Fact]
    public void YaRN_and_Llama3_keep_high_frequencies_and_fully_interpolate_low_ones()
    {
        var view = RopeExplorer.Build(Llama2Like);

        foreach (var method in new[] { "YaRN", "Llama-3" })
        {
            var factors = Factors(view, method);
            Assert.Equal(1, factors[0], 4);
            Assert.Equal(8, factors[^1], 4);
            Assert.True(factors.Zip(factors.Skip(1)).All(p => p.Second >= p.First - 1e-6), $"{method} is not monotone");
        }
    }

    [Fact]
    public void Wavelengths_start_at_2_pi_without_scaling_and_the_windows_are_drawn_flat()
    {
        var view = RopeExplorer.Build(Llama2Like);

        Assert.Equal(2 * Math.PI, view.Wavelengths.Traces.Single(t => t.Name == "No scaling").Y[0], 5);
        Assert.Equal([2048.0, 2048.0], view.Wavelengths.Traces.Single(t => t.Name == "Original window 2048").Y);
        Assert.Equal([16384.0, 16384.0], view.Wavelengths.Traces.Single(t => t.Name == "Target window 16384").Y);
        Assert.True(view.Wavelengths.Y.Log);
    }

    [Fact]
    public void LongRoPE_appears_with_pasted_factors_which_become_its_scale_factors()
    {
        var pasted = string.Join(", ", Enumerable.Range(0, 4).Select(i => (1 + i).ToString()));
        var view = RopeExplorer.Build(new RopeRequest(8, 10_000, 1024, 4, pasted));

        Assert.Equal([1.0, 2, 3, 4], Factors(view, "LongRoPE").Select(f => Math.Round(f, 4)));
        Assert.DoesNotContain(RopeExplorer.Build(Llama2Like).ScaleFactors.Traces, t => t.Name == "LongRoPE");
    }

    [Theory]
    [InlineData(8, "1, 2, 3", "LongRoPE needs d/2 = 4 factors, got 3.")]
    [InlineData(8, "1, x, 3, 4", "LongRoPE factor 2 ('x') is not a positive number.")]
    [InlineData(7, "", "Head dimension must be even, in [4, 1024], got 7.")]
    public void Bad_forms_are_named(int headDim, string factors, string problem)
    {
        Assert.Equal(problem, new RopeRequest(headDim, 10_000, 1024, 4, factors).Problem());
    }
}
