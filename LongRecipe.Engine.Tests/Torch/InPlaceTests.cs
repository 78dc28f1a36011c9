using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>In-place writes: each changes its tensor (and every view of it) and returns that same tensor.</summary>
public class InPlaceTests
{
    private const double Tight = 1e-12;

    private static Tensor X() => Tensor.FromArray([1.0, -2, 4]);

    [Fact]
    public void AddInPlace_adds_a_scaled_tensor_or_a_scalar()
    {
        using var scope = DisposeScope.Enter();
        var x = X();
        Assert.Same(x, x.AddInPlace(Tensor.FromArray([1.0, 1, 1]), alpha: -0.5));
        Expect.Close([0.5, -2.5, 3.5], x, Tight, "x += −0.5·1");
        x.AddInPlace(Tensor.FromArray([10.0, 20, 30]));
        Expect.Close([10.5, 17.5, 33.5], x, Tight, "x += y");
        Assert.Same(x, x.AddInPlace(0.5));
        Expect.Close([11, 18, 34], x, Tight, "x += 0.5");
        // The other tensor broadcasts.
        var m = Tensor.Zeros([2, 3], DType.Float64).AddInPlace(X());
        Expect.Close([1, -2, 4, 1, -2, 4], m, Tight, "broadcast add");
        // Integer tensors add too (libtorch refuses them a fractional alpha, and 1 is none).
        var bits = Tensor.FromArray([1, int.MaxValue, -5]).AddInPlace(Tensor.FromArray([2, 1, 5]));
        Assert.Equal([3, int.MinValue, 0], bits.ToArray<int>());
    }

    [Fact]
    public void Sub_Mul_and_Div_in_place()
    {
        using var scope = DisposeScope.Enter();
        var x = X();
        Assert.Same(x, x.MulInPlace(Tensor.FromArray([2.0, 3, 0.5])));
        Expect.Close([2, -6, 2], x, Tight, "x ·= y");
        Assert.Same(x, x.MulInPlace(-1.5));
        Expect.Close([-3, 9, -3], x, Tight, "x ·= −1.5");
        Assert.Same(x, x.SubInPlace(Tensor.FromArray([1.0, 1, 1])));
        Expect.Close([-4, 8, -4], x, Tight, "x −= 1");
        Assert.Same(x, x.DivInPlace(Tensor.FromArray([2.0, 4, -8])));
        Expect.Close([-2, 2, 0.5], x, Tight, "x /= y");
        Assert.Same(x, x.DivInPlace(4));
        Expect.Close([-0.5, 0.5, 0.125], x, Tight, "x /= 4");
        // An integer tensor cannot hold a float product in place.
        Assert.Throws<TorchException>(() => Tensor.FromArray([1L, 2]).MulInPlace(Tensor.FromArray([0.5, 0.5])));
    }

    [Fact]
    public void Addcmul_Addcdiv_and_Lerp_in_place()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray([2.0, 3, -1]);
        var b = Tensor.FromArray([4.0, -2, 5]);

        var x = X();
        Assert.Same(x, x.AddcmulInPlace(a, b, 0.5));
        // 1 + 0.5·2·4 = 5, −2 + 0.5·3·(−2) = −5, 4 + 0.5·(−1)·5 = 1.5.
        Expect.Close([5, -5, 1.5], x, Tight, "addcmul");

        var y = X();
        Assert.Same(y, y.AddcdivInPlace(a, b, -2));
        // 1 − 2·2/4 = 0, −2 − 2·3/(−2) = 1, 4 − 2·(−1)/5 = 4.4.
        Expect.Close([0, 1, 4.4], y, Tight, "addcdiv");

        var z = X();
        Assert.Same(z, z.LerpInPlace(b, 0.25));
        // 1 + 0.25·(4 − 1) = 1.75, −2 + 0.25·0 = −2, 4 + 0.25·1 = 4.25.
        Expect.Close([1.75, -2, 4.25], z, Tight, "lerp");
    }

    [Fact]
    public void CopyFrom_Fill_and_Zero_overwrite()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.Zeros([2, 3]);
        // CopyFrom broadcasts and converts (f64 into f32).
        Assert.Same(x, x.CopyFrom(X()));
        Assert.Equal(DType.Float32, x.DType);
        Assert.Equal([1f, -2f, 4f, 1f, -2f, 4f], x.ToArray<float>());
        Assert.Throws<TorchException>(() => x.CopyFrom(Tensor.Ones([4])));

        Assert.Same(x, x.Fill(2.5));
        Assert.All(x.ToArray<float>(), v => Assert.Equal(2.5f, v));
        Assert.Same(x, x.Zero());
        Assert.All(x.ToArray<float>(), v => Assert.Equal(0f, v));

        // An integral value reaches an i64 tensor as an exact integer (2^53 + 2 is a double too).
        var ints = Tensor.Zeros([2], DType.Int64).Fill(9007199254740994);
        Assert.Equal([9007199254740994L, 9007199254740994L], ints.ToArray<long>());

        // A write through a view lands in the source.
        var m = Tensor.Zeros([2, 2], DType.Float64);
        m.Select(1, 1).Fill(7);
        Expect.Close([0, 7, 0, 7], m, Tight, "fill through a view");
    }
}
