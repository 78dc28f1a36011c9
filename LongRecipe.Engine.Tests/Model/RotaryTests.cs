using LongRecipe.Engine.Model;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Model;

/// <summary>cos/sin and the rotation against plain double loops, on non-contiguous position ids.</summary>
public class RotaryTests
{
    // Two rows with different, skipping positions (as LongRecipe's position transform gives).
    private static readonly long[,] Positions = { { 0, 3, 7, 20 }, { 5, 6, 50, 200 } };

    private static Tensor PositionIds() =>
        Tensor.FromArray(Positions.Cast<long>().ToArray(), [Positions.GetLength(0), Positions.GetLength(1)]);

    private static RopeFrequencies Frequencies(int headDim = 8) =>
        Rope.Compute(new RopeScaling(), headDim, maxPositionEmbeddings: 64);

    [Fact]
    public void CosSin_is_cos_and_sin_of_position_times_frequency_times_the_attention_scaling()
    {
        using var scope = DisposeScope.Enter();
        // Yarn, so that the attention scaling is not 1.
        var f = Rope.Compute(new RopeScaling { Type = RopeType.Yarn, Factor = 4, OriginalMaxPositionEmbeddings = 64 }, 8, 256);
        var (cos, sin) = Rotary.CosSin(f, PositionIds(), DType.Float32);
        Assert.Equal(new long[] { 2, 4, 8 }, cos.Shape);
        float[] c = cos.ToArray<float>(), s = sin.ToArray<float>();
        for (var b = 0; b < 2; b++)
            for (var t = 0; t < 4; t++)
                for (var j = 0; j < 8; j++)
                {
                    var angle = (double)(float)(Positions[b, t] * f.InverseFrequencies[j % 4]);
                    var at = (b * 4 + t) * 8 + j;
                    Assert.True(Math.Abs(c[at] - Math.Cos(angle) * f.AttentionScaling) < 1e-6, $"cos[{b},{t},{j}]");
                    Assert.True(Math.Abs(s[at] - Math.Sin(angle) * f.AttentionScaling) < 1e-6, $"sin[{b},{t},{j}]");
                }
    }

    /// <summary>x'[j] = x[j] cos(p θ_(j mod d/2)) + r[j] sin(p θ_(j mod d/2)), r = (−x[d/2:], x[:d/2]), in double.</summary>
    private static double[] RotateByHand(float[] x, long[] shape, float[] inverse, int rotaryDim)
    {
        long heads = shape[1], seq = shape[2], d = shape[3];
        var y = x.Select(v => (double)v).ToArray();
        var half = rotaryDim / 2;
        for (var b = 0; b < shape[0]; b++)
            for (var h = 0; h < heads; h++)
                for (var t = 0; t < seq; t++)
                {
                    var row = ((b * heads + h) * seq + t) * d;
                    for (var j = 0; j < rotaryDim; j++)
                    {
                        var angle = Positions[b, t] * (double)inverse[j % half];
                        var partner = j < half ? -x[row + j + half] : x[row + j - half];
                        y[row + j] = x[row + j] * Math.Cos(angle) + partner * Math.Sin(angle);
                    }
                }
        return y;
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance, string label)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{label}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void ApplyRotary_matches_a_double_loop_for_queries_and_grouped_keys()
    {
        using var scope = DisposeScope.Enter();
        using var generator = new Generator(seed: 7);
        var q = Tensor.Randn([2, 3, 4, 8], generator);
        var k = Tensor.Randn([2, 1, 4, 8], generator);
        var f = Frequencies();
        var (cos, sin) = Rotary.CosSin(f, PositionIds(), DType.Float32);
        var (qr, kr) = Rotary.ApplyRotary(q, k, cos, sin);
        AssertClose(RotateByHand(q.ToArray<float>(), q.Shape, f.InverseFrequencies, 8), qr.ToArray<float>(), 1e-5, "q");
        AssertClose(RotateByHand(k.ToArray<float>(), k.Shape, f.InverseFrequencies, 8), kr.ToArray<float>(), 1e-5, "k");
    }

    [Fact]
    public void Rotation_preserves_every_vector_norm()
    {
        using var scope = DisposeScope.Enter();
        using var generator = new Generator(seed: 11);
        var q = Tensor.Randn([2, 2, 4, 16], generator);
        var (cos, sin) = Rotary.CosSin(Frequencies(16), PositionIds(), DType.Float32);
        var (rotated, _) = Rotary.ApplyRotary(q, q, cos, sin);
        float[] before = q.Square().Sum(-1).ToArray<float>(), after = rotated.Square().Sum(-1).ToArray<float>();
        for (var i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i], 1e-5 * before[i]);
    }

    [Fact]
    public void Partial_rotary_rotates_the_first_dimensions_and_passes_the_rest_through()
    {
        using var scope = DisposeScope.Enter();
        using var generator = new Generator(seed: 3);
        var q = Tensor.Randn([2, 1, 4, 8], generator);
        var f = Rope.Compute(new RopeScaling { PartialRotaryFactor = 0.5 }, headDim: 8, maxPositionEmbeddings: 64);
        var (cos, sin) = Rotary.CosSin(f, PositionIds(), DType.Float32);
        Assert.Equal(4, cos.Size(-1));
        var (rotated, _) = Rotary.ApplyRotary(q, q, cos, sin);
        AssertClose(RotateByHand(q.ToArray<float>(), q.Shape, f.InverseFrequencies, 4), rotated.ToArray<float>(), 1e-5, "partial");
    }

    [Fact]
    public void Config_overload_takes_dynamic_and_longrope_lengths_from_the_largest_position()
    {
        using var scope = DisposeScope.Enter();
        var dynamic = LlamaConfig.Tiny(rope: new RopeScaling { Type = RopeType.Dynamic, Factor = 4 });
        var (cos, _) = Rotary.CosSin(dynamic, PositionIds(), DType.Float32);
        var (expected, _) = Rotary.CosSin(Rope.Compute(dynamic.RopeScaling, 16, 64, sequenceLength: 201), PositionIds(), DType.Float32);
        Assert.Equal(expected.ToArray<float>(), cos.ToArray<float>());

        var longrope = LlamaConfig.Tiny(rope: new RopeScaling
        {
            Type = RopeType.LongRope, OriginalMaxPositionEmbeddings = 200,
            ShortFactor = [1, 1, 1, 1, 1, 1, 1, 1], LongFactor = [2, 2, 2, 2, 2, 2, 2, 2],
        }, maxPositionEmbeddings: 800);
        var withinWindow = Tensor.FromArray(new long[] { 0, 199 }, [1, 2]);
        var pastWindow = Tensor.FromArray(new long[] { 0, 200 }, [1, 2]);
        // Position 199 is the window's last (n = 200 = L, short factors); 200 is past it (long factors halve θ_i).
        Assert.Equal(MathF.Cos(199f), Rotary.CosSin(longrope, withinWindow, DType.Float32).Cos.ToArray<float>()[16] / Scale(longrope), 1e-6);
        Assert.Equal(MathF.Cos(100f), Rotary.CosSin(longrope, pastWindow, DType.Float32).Cos.ToArray<float>()[16] / Scale(longrope), 1e-6);
    }

    /// <summary>
    /// LongRoPE's n̂ = 3 by hand: positions 0–2 rotate by the plain θ_i = 10000^(−2i/16) at multiplier 1, positions
    /// from 3 on by θ_i / f_i at the longrope multiplier a = √(1 + ln 4 / ln 64) — with the long factors when the batch
    /// reaches past L = 64, with the short ones when it does not.
    /// </summary>
    [Theory]
    [InlineData(new long[] { 0, 1, 2, 3, 5, 100 }, true)]
    [InlineData(new long[] { 0, 2, 3, 4, 40, 63 }, false)]
    public void Longrope_keeps_positions_below_n_hat_at_the_original_rotation(long[] positions, bool pastWindow)
    {
        using var scope = DisposeScope.Enter();
        double[] longFactor = [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5], shortFactor = [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7];
        var config = LlamaConfig.Tiny(rope: new RopeScaling
        {
            Type = RopeType.LongRope, Factor = 4, OriginalMaxPositionEmbeddings = 64,
            LongFactor = longFactor, ShortFactor = shortFactor, InitialUnscaledTokens = 3,
        }, maxPositionEmbeddings: 256);
        var (cos, sin) = Rotary.CosSin(config, Tensor.FromArray(positions, [1, positions.Length]), DType.Float32);
        float[] c = cos.ToArray<float>(), s = sin.ToArray<float>();

        var multiplier = Math.Sqrt(1 + Math.Log(4) / Math.Log(64));
        var factors = pastWindow ? longFactor : shortFactor;
        for (var t = 0; t < positions.Length; t++)
            for (var j = 0; j < 16; j++)
            {
                var i = j % 8;
                var unscaled = positions[t] < 3;
                var angle = positions[t] / ((unscaled ? 1 : factors[i]) * Math.Pow(10_000, 2.0 * i / 16));
                var scale = unscaled ? 1 : multiplier;
                Assert.True(Math.Abs(c[t * 16 + j] - Math.Cos(angle) * scale) < 2e-5, $"cos at position {positions[t]}, dimension {j}");
                Assert.True(Math.Abs(s[t * 16 + j] - Math.Sin(angle) * scale) < 2e-5, $"sin at position {positions[t]}, dimension {j}");
            }
    }

    private static float Scale(LlamaConfig config) =>
        (float)Rope.Compute(config.RopeScaling, config.HeadDim, config.MaxPositionEmbeddings).AttentionScaling;

    [Fact]
    public void CosSin_is_computed_in_float32_and_converted_to_the_activation_dtype()
    {
        using var scope = DisposeScope.Enter();
        var (cos32, _) = Rotary.CosSin(Frequencies(), PositionIds(), DType.Float32);
        var (cos16, sin16) = Rotary.CosSin(Frequencies(), PositionIds(), DType.BFloat16);
        Assert.Equal(DType.BFloat16, cos16.DType);
        Assert.Equal(DType.BFloat16, sin16.DType);
        Assert.Equal(cos32.To(DType.BFloat16).To(DType.Float32).ToArray<float>(), cos16.To(DType.Float32).ToArray<float>());
    }
}
