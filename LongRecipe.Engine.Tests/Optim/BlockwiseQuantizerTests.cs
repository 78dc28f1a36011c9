using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Optim;

/// <summary>The dynamic maps against their formula worked by hand, and block-wise quantization against the nearest map value.</summary>
public class BlockwiseQuantizerTests
{
    [Fact]
    public void The_maps_hold_256_sorted_values_with_the_hand_computed_ends()
    {
        foreach (var map in new[] { QuantizationMap.DynamicSigned, QuantizationMap.DynamicUnsigned })
        {
            Assert.Equal(256, map.Values.Count);
            Assert.Equal(255, map.Boundaries.Count);
            for (var i = 0; i < 255; i++)
            {
                Assert.True(map.Values[i] < map.Values[i + 1], $"values[{i}] = {map.Values[i]} is not below values[{i + 1}] = {map.Values[i + 1]}");
                Assert.Equal((map.Values[i] + (double)map.Values[i + 1]) / 2, map.Boundaries[i], 1e-7);
            }
            Assert.Contains(0f, map.Values);
            Assert.Equal(1f, map.Values[^1]);
        }
        var signed = QuantizationMap.DynamicSigned.Values;
        // Decade 0 has 6 fraction bits: 0.1 + 0.9 · (k + ½) / 64, from 0.10703125 up to 0.99296875 below 1; the
        // smallest magnitude is decade 6's single value, 10⁻⁶ · (0.1 + 0.9 / 2) = 5.5e-7.
        Assert.Equal(-0.99296875f, signed[0]);
        Assert.Equal(0.99296875f, signed[^2]);
        Assert.Equal(0.10703125f, signed.Where(v => v > 0.1).Min());
        Assert.Equal(5.5e-7f, signed.Where(v => v > 0).Min(), 1e-12);
        Assert.Equal(127, signed.Count(v => v < 0));
        // Unsigned, the sign bit becomes a fraction bit: 128 values in decade 0, the top 0.1 + 0.9 · 127.5 / 128 = 0.996484375,
        // the smallest 10⁻⁶ · (0.1 + 0.9 · ½ / 2) = 3.25e-7.
        var unsigned = QuantizationMap.DynamicUnsigned.Values;
        Assert.Equal(0f, unsigned[0]);
        Assert.Equal(0.996484375f, unsigned[^2]);
        Assert.Equal(128, unsigned.Count(v => v is > 0.1f and < 1));
        Assert.Equal(3.25e-7f, unsigned.Where(v => v > 0).Min(), 1e-12);
    }

    [Fact]
    public void A_block_worked_by_hand()
    {
        using var scope = DisposeScope.Enter();
        using var quantizer = new BlockwiseQuantizer(QuantizationMap.DynamicSigned, blockSize: 4);
        // absmax 2, quotients [1, −0.5, 0.25, 0]. 1 and 0 are map values. −0.5 lies between decade 0's k = 27 and 28,
        // 0.48671875 and 0.50078125, nearer the second: −1.0015625 after scaling. 0.25 lies between k = 10 and 11,
        // 0.24765625 and 0.26171875, nearer the first: 0.4953125. The second block [0, 0, 0, 3e-7 · 4] scales by its own
        // maximum 1.2e-6, so its last element is exact (quotient 1) however small.
        var x = Tensor.FromArray([2f, -1, 0.5f, 0, 0, 0, 0, 1.2e-6f]);
        var (codes, absmax) = quantizer.Quantize(x);
        Assert.Equal(DType.UInt8, codes.DType);
        Expect.Close([2, 1.2e-6], absmax, 1e-12, "block maxima");
        var values = QuantizationMap.DynamicSigned.Values;
        Expect.Close([1, -0.50078125, 0.24765625, 0, 0, 0, 0, 1], codes.ToArray<byte>().Select(c => (double)values[c]).ToArray(), 1e-7, "map values");
        Expect.Close([2, -1.0015625, 0.4953125, 0, 0, 0, 0, 1.2e-6], quantizer.Dequantize(codes, absmax), 1e-6, "dequantized");
    }

    [Theory]
    [InlineData(true, 2048, 5000)]
    [InlineData(false, 2048, 4096)]
    [InlineData(true, 64, 1000)]
    public void Each_element_becomes_its_nearest_map_value_times_its_block_maximum(bool signed, int blockSize, int count)
    {
        using var scope = DisposeScope.Enter();
        var map = signed ? QuantizationMap.DynamicSigned : QuantizationMap.DynamicUnsigned;
        using var quantizer = new BlockwiseQuantizer(map, blockSize);
        using var random = new Generator(7);
        // Magnitudes over eight decades, so every decade of the map is used; the last block is partial when count is not a multiple.
        var magnitude = Tensor.Rand([count], random).Mul(-8 * Math.Log(10)).Exp();
        var x = signed ? magnitude.Mul(Tensor.Randn([count], random).Sign()) : magnitude;
        var (codes, absmax) = quantizer.Quantize(x);
        Assert.Equal((count + blockSize - 1) / blockSize, absmax.NumElements);
        var restored = Expect.Values(quantizer.Dequantize(codes, absmax));
        var (input, maxima) = (Expect.Values(x), Expect.Values(absmax));

        var worstHalfGap = 0.0;
        for (var i = 0; i < count; i++)
        {
            var a = maxima[i / blockSize];
            var quotient = input[i] / a;
            var nearest = map.Values.Select(v => (double)v).MinBy(v => Math.Abs(v - quotient));
            // The nearest value, up to f32 rounding of the quotient (a tie can go either way).
            Assert.True(Math.Abs(Math.Abs(restored[i] / a - quotient) - Math.Abs(nearest - quotient)) <= 1e-6,
                $"element {i}: x/a = {quotient:R} became {restored[i] / a:R}, its nearest map value is {nearest:R}");
            worstHalfGap = Math.Max(worstHalfGap, Math.Abs(restored[i] - input[i]) / a);
        }
        // The per-block bound: decade 0's gap is 0.9 / 64 signed (0.9 / 128 unsigned), the widest; half of it bounds the error / a.
        var bound = signed ? 0.9 / 128 : 0.9 / 256;
        Assert.True(worstHalfGap <= bound + 1e-7, $"an error reached {worstHalfGap:R} of its block maximum, above {bound:R}");
        // Quantizing what came back gives the same codes: map values are fixed points. (Not when a signed block's largest
        // magnitude is negative: −1 is no map value, so that block's maximum, and its scale, shrink.)
        if (!signed) Assert.Equal(codes.ToArray<byte>(), quantizer.Quantize(quantizer.Dequantize(codes, absmax)).Codes.ToArray<byte>());
    }

    [Fact]
    public void Zeros_stay_zero_and_bad_shapes_are_refused()
    {
        using var scope = DisposeScope.Enter();
        using var quantizer = new BlockwiseQuantizer(QuantizationMap.DynamicUnsigned, blockSize: 8);
        var (codes, absmax) = quantizer.Quantize(Tensor.Zeros([20]));
        Assert.All(Expect.Values(absmax), a => Assert.Equal(0, a));
        Assert.All(Expect.Values(quantizer.Dequantize(codes, absmax)), v => Assert.Equal(0, v));
        Assert.Contains("1-d f32", Assert.Throws<ArgumentException>(() => quantizer.Quantize(Tensor.Zeros([4, 5]))).Message);
        Assert.Contains("block maxima", Assert.Throws<ArgumentException>(() => quantizer.Dequantize(codes, absmax.Narrow(0, 0, 2))).Message);
    }
}
