using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>Tensors from managed arrays and factories, random tensors, and copies back out.</summary>
public class CreationTests
{
    [Fact]
    public void FromArray_round_trips_every_managed_dtype()
    {
        using var scope = DisposeScope.Enter();

        var f32 = Tensor.FromArray([1.5f, -2f, 3.25f, 1e-30f]);
        Assert.Equal(DType.Float32, f32.DType);
        Assert.Equal([1.5f, -2f, 3.25f, 1e-30f], f32.ToArray<float>());

        var f64 = Tensor.FromArray([0.1, -1e300, 2, 3], [2, 2]);
        Assert.Equal(DType.Float64, f64.DType);
        Expect.Shape([2, 2], f64, "f64 shape");
        Assert.Equal([0.1, -1e300, 2, 3], f64.ToArray<double>());

        // i64 beyond 2^53 must not pass through a double.
        var i64 = Tensor.FromArray([long.MaxValue, -1L, 0L, (1L << 53) + 1]);
        Assert.Equal(DType.Int64, i64.DType);
        Assert.Equal([long.MaxValue, -1L, 0L, (1L << 53) + 1], i64.ToArray<long>());

        var i32 = Tensor.FromArray([int.MinValue, 7, int.MaxValue]);
        Assert.Equal(DType.Int32, i32.DType);
        Assert.Equal([int.MinValue, 7, int.MaxValue], i32.ToArray<int>());

        var flags = Tensor.FromArray([true, false, true]);
        Assert.Equal(DType.Bool, flags.DType);
        Assert.Equal([true, false, true], flags.ToArray<bool>());

        var half = Tensor.FromArray([(Half)0.5, (Half)(-3)]);
        Assert.Equal(DType.Float16, half.DType);
        Assert.Equal([(Half)0.5, (Half)(-3)], half.ToArray<Half>());
    }

    [Fact]
    public void FromArray_converts_to_bf16_and_f16_with_their_rounding()
    {
        using var scope = DisposeScope.Enter();
        float[] source = [1f, -2f, 0.1f, 3.14159f, 1.01f];
        // bf16 keeps 7 fraction bits, f16 10 (round to nearest), worked by hand:
        // 0.1 = 1.6·2⁻⁴: 0.6·128 = 76.8 → 77 → 1.6015625·2⁻⁴;  0.6·1024 = 614.4 → 614 → 1.599609375·2⁻⁴
        // 3.14159 = 1.5707950·2: ·128 = 73.06 → 73 → 1.5703125·2;  ·1024 = 584.49 → 584 → 1.5703125·2
        // 1.01: 0.01·128 = 1.28 → 1 → 1.0078125;  0.01·1024 = 10.24 → 10 → 1.009765625
        double[] bf16 = [1, -2, 0.10009765625, 3.140625, 1.0078125];
        double[] f16 = [1, -2, 0.0999755859375, 3.140625, 1.009765625];

        var b = Tensor.FromArray(source, dtype: DType.BFloat16);
        Assert.Equal(DType.BFloat16, b.DType);
        Expect.Close(bf16, b.To(DType.Float32), 0, "bf16 read back as f32");

        var h = Tensor.FromArray(source, dtype: DType.Float16);
        Assert.Equal(DType.Float16, h.DType);
        Expect.Close(f16, h.To(DType.Float32), 0, "f16 read back as f32");

        // The raw bits of bf16 1.0 and −2.0: sign, 8 exponent bits, 7 fraction bits, little-endian.
        var bytes = new byte[4];
        b.Narrow(0, 0, 2).CopyBytesTo(bytes);
        Assert.Equal([0x80, 0x3F, 0x00, 0xC0], bytes);
    }

    [Fact]
    public void FromArray_converts_integers_to_another_dtype()
    {
        using var scope = DisposeScope.Enter();
        var t = Tensor.FromArray([1, 2, 3], [3, 1], dtype: DType.Int64);
        Assert.Equal(DType.Int64, t.DType);
        Expect.Shape([3, 1], t, "shape");
        Assert.Equal([1L, 2, 3], t.ToArray<long>());
        Assert.Equal([1.0, 2, 3], Tensor.FromArray([1, 2, 3], dtype: DType.Float64).ToArray<double>());
    }

    [Fact]
    public void FromArray_rejects_a_shape_that_does_not_match_the_data()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2f, 3f], [2, 2]));
        Assert.Contains("do not hold", error.Message);
    }

    [Fact]
    public void Factories_fill_with_the_value_asked_for()
    {
        using var scope = DisposeScope.Enter();

        var zeros = Tensor.Zeros([2, 3]);
        Assert.Equal(DType.Float32, zeros.DType);
        Expect.Shape([2, 3], zeros, "zeros shape");
        Assert.All(zeros.ToArray<float>(), v => Assert.Equal(0f, v));

        var ones = Tensor.Ones([4], DType.Int32);
        Assert.Equal([1, 1, 1, 1], ones.ToArray<int>());

        Assert.Equal([2.5, 2.5], Tensor.Full([2], 2.5, DType.Float64).ToArray<double>());
        Assert.Equal([-7L, -7], Tensor.Full([1, 2], -7, DType.Int64).ToArray<long>());
        Assert.Equal([true, true], Tensor.Full([2], 1, DType.Bool).ToArray<bool>());

        var empty = Tensor.Empty([3, 0]);
        Expect.Shape([3, 0], empty, "empty shape");
        Assert.Equal(0, empty.NumElements);
        Assert.Empty(empty.ToArray<float>());

        var scalar = Tensor.Full([], 4, DType.Float32);
        Assert.Equal(0, scalar.Dim);
        Assert.Equal(4.0, scalar.ToDouble());
    }

    [Fact]
    public void Arange_counts_up_to_but_not_including_the_end()
    {
        using var scope = DisposeScope.Enter();
        var count = Tensor.Arange(5);
        Assert.Equal(DType.Int64, count.DType);
        Assert.Equal([0L, 1, 2, 3, 4], count.ToArray<long>());
        Assert.Equal([1L, 4, 7], Tensor.Arange(1, 10, 3).ToArray<long>());
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f], Tensor.Arange(0, 1, 0.25, DType.Float32).ToArray<float>());
        Assert.Equal([3.0, 2.0, 1.0], Tensor.Arange(3, 0, -1, DType.Float64).ToArray<double>());
    }

    [Fact]
    public void Random_tensors_repeat_with_the_seed_and_differ_without_it()
    {
        using var scope = DisposeScope.Enter();
        foreach (var (name, draw) in new (string, Func<Generator, Tensor>)[]
                 {
                     ("randn", g => Tensor.Randn([64], g, DType.Float64)),
                     ("rand", g => Tensor.Rand([64], g, DType.Float64)),
                     ("randint", g => Tensor.RandInt(0, 1000, [64], g, DType.Float64)),
                     ("randperm", g => Tensor.RandPerm(64, g).To(DType.Float64)),
                 })
        {
            using Generator a = new(1234), b = new(1234), c = new(4321), onCpu = new(1234, Device.Cpu);
            var first = draw(a).ToArray<double>();
            Assert.True(first.SequenceEqual(draw(b).ToArray<double>()), $"{name}: same seed, same values");
            Assert.True(first.SequenceEqual(draw(onCpu).ToArray<double>()), $"{name}: a generator made for the CPU is the CPU generator");
            Assert.False(first.SequenceEqual(draw(c).ToArray<double>()), $"{name}: another seed, other values");
            // The generator advances: its next draw is new numbers.
            Assert.False(first.SequenceEqual(draw(a).ToArray<double>()), $"{name}: next draw differs");
        }
    }

    [Fact]
    public void Rand_is_uniform_on_the_half_open_unit_interval()
    {
        using var scope = DisposeScope.Enter();
        var values = Tensor.Rand([10_000], new Generator(7), DType.Float64).ToArray<double>();
        Assert.All(values, v => Assert.InRange(v, 0.0, Math.BitDecrement(1.0)));
        // Mean 1/2 and variance 1/12; the mean's standard error is √(1/12/10⁴) ≈ 0.003.
        Expect.Close(0.5, values.Average(), 0.015, "uniform mean");
        Expect.Close(1.0 / 12, values.Select(v => (v - 0.5) * (v - 0.5)).Average(), 0.005, "uniform variance");
    }

    [Fact]
    public void Randn_has_mean_zero_and_standard_deviation_one()
    {
        using var scope = DisposeScope.Enter();
        var values = Tensor.Randn([10_000], new Generator(8), DType.Float64).ToArray<double>();
        var mean = values.Average();
        var std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
        // Standard errors: 0.01 for the mean, 0.007 for the deviation; 5σ bounds.
        Expect.Close(0, mean, 0.05, "normal mean");
        Expect.Close(1, std, 0.035, "normal std");
    }

    [Fact]
    public void RandInt_and_RandPerm_stay_in_range()
    {
        using var scope = DisposeScope.Enter();
        var ints = Tensor.RandInt(3, 7, [1000], new Generator(9)).ToArray<long>();
        Assert.All(ints, v => Assert.InRange(v, 3, 6));
        Assert.Equal([3L, 4, 5, 6], ints.Distinct().Order());

        var perm = Tensor.RandPerm(50, new Generator(9));
        Assert.Equal(DType.Int64, perm.DType);
        var values = perm.ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), values.Order());
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (long)i), values);
    }

    [Fact]
    public void ToArray_reads_a_strided_view_in_row_major_order()
    {
        using var scope = DisposeScope.Enter();
        var t = Tensor.FromArray([1, 2, 3, 4, 5, 6], [2, 3]).Transpose(0, 1);
        Assert.False(t.IsContiguous);
        Assert.Equal([1, 4, 2, 5, 3, 6], t.ToArray<int>());
    }

    [Fact]
    public void CopyTo_insists_on_the_tensor_dtype_and_length()
    {
        using var scope = DisposeScope.Enter();
        var t = Tensor.FromArray([1f, 2f, 3f]);

        var wrongType = Assert.Throws<ArgumentException>(() => t.CopyTo<double>(new double[3]));
        Assert.Contains("f32", wrongType.Message);

        var wrongLength = Assert.Throws<TorchException>(() => t.CopyTo<float>(new float[2]));
        Assert.Contains("destination holds 8 bytes, tensor needs 12", wrongLength.Message);

        var destination = new float[3];
        t.CopyTo<float>(destination);
        Assert.Equal([1f, 2f, 3f], destination);
    }

    [Fact]
    public void Scalars_read_out_exactly()
    {
        using var scope = DisposeScope.Enter();
        Assert.Equal(2.5, Tensor.FromArray([2.5f]).ToDouble());
        Assert.Equal((1L << 62) + 1, Tensor.FromArray([(1L << 62) + 1]).ToInt64());
        Assert.Throws<TorchException>(() => Tensor.FromArray([1f, 2f]).ToDouble());
    }

    [Fact]
    public void Clone_and_Contiguous_copy_while_a_view_shares()
    {
        using var scope = DisposeScope.Enter();
        var t = Tensor.FromArray([1f, 2f, 3f]);
        var clone = t.Clone();
        var view = t.Reshape(3);
        t.Fill(9);
        Assert.Equal([1f, 2f, 3f], clone.ToArray<float>());
        Assert.Equal([9f, 9f, 9f], view.ToArray<float>());

        var transposed = Tensor.FromArray([1f, 2f, 3f, 4f], [2, 2]).Transpose(0, 1);
        var packed = transposed.Contiguous();
        Assert.True(packed.IsContiguous);
        Assert.Equal([1f, 3f, 2f, 4f], packed.ToArray<float>());
    }
}
