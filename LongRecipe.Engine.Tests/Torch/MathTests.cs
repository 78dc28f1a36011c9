using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Torch;

/// <summary>Elementwise math, comparisons, selection, reductions, top-k and sort, against System.Math in f64.</summary>
public class MathTests
{
    private const double Tight = 1e-12;

    private static readonly double[] Points = [-2.5, -1, -0.5, 0, 0.5, 1, 2];
    private static readonly double[] Positive = [0.25, 0.5, 1, 2, 9];

    public static TheoryData<string> UnaryOps => new(
        "neg", "exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "sigmoid", "silu", "relu",
        "square", "reciprocal", "floor", "sign");

    /// <summary>Each unary op and the formula it must match, on inputs in its domain.</summary>
    private static (Func<Tensor, Tensor> Op, Func<double, double> Formula, double[] Inputs) Unary(string name) => name switch
    {
        "neg" => (x => x.Neg(), v => -v, Points),
        "exp" => (x => x.Exp(), Math.Exp, Points),
        "log" => (x => x.Log(), Math.Log, Positive),
        "log1p" => (x => x.Log1p(), v => Math.Log(1 + v), Positive),
        "sqrt" => (x => x.Sqrt(), Math.Sqrt, Positive),
        "rsqrt" => (x => x.Rsqrt(), v => 1 / Math.Sqrt(v), Positive),
        "abs" => (x => x.Abs(), Math.Abs, Points),
        "sin" => (x => x.Sin(), Math.Sin, Points),
        "cos" => (x => x.Cos(), Math.Cos, Points),
        "tanh" => (x => x.Tanh(), Math.Tanh, Points),
        "sigmoid" => (x => x.Sigmoid(), Reference.Sigmoid, Points),
        "silu" => (x => x.Silu(), v => v * Reference.Sigmoid(v), Points),
        "relu" => (x => x.Relu(), v => Math.Max(v, 0), Points),
        "square" => (x => x.Square(), v => v * v, Points),
        "reciprocal" => (x => x.Reciprocal(), v => 1 / v, Positive),
        "floor" => (x => x.Floor(), Math.Floor, Points),
        "sign" => (x => x.Sign(), v => Math.Sign(v), Points),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary_op_matches_its_formula(string name)
    {
        using var scope = DisposeScope.Enter();
        var (op, formula, inputs) = Unary(name);
        var y = op(Tensor.FromArray(inputs));
        Assert.Equal(DType.Float64, y.DType);
        Expect.Close([.. inputs.Select(formula)], y, Tight, name);
        // f32 runs the same kernels at single precision.
        Expect.Close([.. inputs.Select(formula)], op(Tensor.FromArray(inputs, dtype: DType.Float32)), 1e-6, name + " f32");
    }

    [Fact]
    public void Gelu_uses_the_exact_normal_cdf()
    {
        using var scope = DisposeScope.Enter();
        // x·Φ(x) with Φ(−1) = 0.15865525393145707, Φ(0.5) = 0.6914624612740131, Φ(1) = 0.8413447460685429,
        // Φ(2) = 0.9772498680518208 (tables of the standard normal distribution).
        Expect.Close([-0.15865525393145707, 0, 0.34573123063700656, 0.8413447460685429, 1.9544997361036416],
            Tensor.FromArray([-1.0, 0, 0.5, 1, 2]).Gelu(), 1e-12, "gelu");
    }

    [Fact]
    public void Round_goes_half_to_even()
    {
        using var scope = DisposeScope.Enter();
        Assert.Equal([-2.0, -0.0, 0, 2, 2, 3], Tensor.FromArray([-2.5, -0.5, 0.5, 1.5, 2.5, 2.6]).Round().ToArray<double>());
    }

    [Fact]
    public void Logical_and_finiteness_tests_give_booleans()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0]);
        Assert.Equal([true, false, false, false, true], x.IsFinite().ToArray<bool>());
        Assert.Equal([false, true, false, false, false], x.IsNaN().ToArray<bool>());
        var a = Tensor.FromArray([true, true, false, false]);
        var b = Tensor.FromArray([true, false, true, false]);
        Assert.Equal([false, false, true, true], a.LogicalNot().ToArray<bool>());
        Assert.Equal([true, false, false, false], a.LogicalAnd(b).ToArray<bool>());
        Assert.Equal([true, true, true, false], a.LogicalOr(b).ToArray<bool>());
    }

    [Fact]
    public void Binary_ops_broadcast_a_row_over_a_matrix()
    {
        using var scope = DisposeScope.Enter();
        double[] m = [1, 2, 3, 4, 5, 6];
        double[] row = [10, -2, 0.5];
        var a = Tensor.FromArray(m, [2, 3]);
        var b = Tensor.FromArray(row);

        double[] Each(Func<double, double, double> f) => [.. m.Select((v, i) => f(v, row[i % 3]))];
        Expect.Close(Each((x, y) => x + y), a + b, Tight, "add");
        Expect.Close(Each((x, y) => x - y), a - b, Tight, "sub");
        Expect.Close(Each((x, y) => x * y), a * b, Tight, "mul");
        Expect.Close(Each((x, y) => x / y), a / b, Tight, "div");
        Expect.Close(Each(Math.Pow), a.Pow(b), Tight, "pow");
        Expect.Close(Each(Math.Max), a.Maximum(b), Tight, "maximum");
        Expect.Close(Each(Math.Min), a.Minimum(b), Tight, "minimum");
        Expect.Shape([2, 3], a + b, "broadcast shape");
    }

    [Fact]
    public void Binary_ops_broadcast_a_column_against_a_row()
    {
        using var scope = DisposeScope.Enter();
        var column = Tensor.FromArray([1.0, 2], [2, 1]);
        var row = Tensor.FromArray([10.0, 20, 30], [1, 3]);
        var outer = column * row;
        Expect.Shape([2, 3], outer, "outer shape");
        Expect.Close([10, 20, 30, 20, 40, 60], outer, Tight, "outer product");
        Assert.Throws<TorchException>(() => Tensor.Ones([2, 3]) + Tensor.Ones([2]));
    }

    [Fact]
    public void Scalar_ops_keep_integer_tensors_integer()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1L, 2, 3]);

        var plus = x + 1;
        Assert.Equal(DType.Int64, plus.DType);
        Assert.Equal([2L, 3, 4], plus.ToArray<long>());

        var rsub = 1 - x;
        Assert.Equal(DType.Int64, rsub.DType);
        Assert.Equal([0L, -1, -2], rsub.ToArray<long>());

        Assert.Equal([3L, 6, 9], (3 * x).ToArray<long>());
        Assert.Equal([-1L, 0, 1], (x - 2).ToArray<long>());
        Assert.Equal([1L, 4, 9], x.Pow(2).ToArray<long>());
        // Python semantics: the remainder takes the divisor's sign, division floors.
        var signed = Tensor.FromArray([-7L, 7]);
        Assert.Equal([1L, 1], signed.Remainder(2).ToArray<long>());
        Assert.Equal([-4L, 3], signed.FloorDivide(2).ToArray<long>());

        // True division and fractional scalars promote to the default float type.
        var half = x / 2;
        Assert.Equal(DType.Float32, half.DType);
        Assert.Equal([0.5f, 1f, 1.5f], half.ToArray<float>());
        var shifted = x + 0.5;
        Assert.Equal(DType.Float32, shifted.DType);
        Assert.Equal([1.5f, 2.5f, 3.5f], shifted.ToArray<float>());
    }

    [Fact]
    public void Scalar_ops_on_floats()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, -2, 4]);
        Expect.Close([2, -1, 5], x + 1, Tight, "x + 1");
        Expect.Close([2, -1, 5], 1 + x, Tight, "1 + x");
        Expect.Close([0.75, -2.25, 3.75], x - 0.25, Tight, "x − 0.25");
        Expect.Close([0, 3, -3], 1 - x, Tight, "1 − x");
        Expect.Close([2.5, -5, 10], x * 2.5, Tight, "x · 2.5");
        Expect.Close([2.5, -5, 10], 2.5 * x, Tight, "2.5 · x");
        Expect.Close([0.25, -0.5, 1], x / 4, Tight, "x / 4");
        Expect.Close([1, Math.Sqrt(-2.0), 2], x.Pow(0.5), Tight, "x^0.5");
        Expect.Close([-1, 2, -4], -x, Tight, "−x");
        Expect.Close([1, 1, 1], x.Remainder(1.5), Tight, "x mod 1.5 (sign of the divisor)");
        Assert.Equal(DType.Float32, (Tensor.Ones([1]) + 1).DType);
    }

    [Fact]
    public void Comparisons_give_booleans()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray([1.0, 2, 3]);
        var b = Tensor.FromArray([3.0, 2, 1]);
        Assert.Equal(DType.Bool, a.Eq(b).DType);
        Assert.Equal([false, true, false], a.Eq(b).ToArray<bool>());
        Assert.Equal([true, false, true], a.Ne(b).ToArray<bool>());
        Assert.Equal([true, false, false], a.Lt(b).ToArray<bool>());
        Assert.Equal([true, true, false], a.Le(b).ToArray<bool>());
        Assert.Equal([false, false, true], a.Gt(b).ToArray<bool>());
        Assert.Equal([false, true, true], a.Ge(b).ToArray<bool>());
        Assert.Equal([false, true, false], a.Eq(2).ToArray<bool>());
        Assert.Equal([true, false, true], a.Ne(2).ToArray<bool>());
        Assert.Equal([true, false, false], a.Lt(2).ToArray<bool>());
        Assert.Equal([true, true, false], a.Le(2).ToArray<bool>());
        Assert.Equal([false, false, true], a.Gt(2).ToArray<bool>());
        Assert.Equal([false, true, true], a.Ge(2).ToArray<bool>());
        Assert.Equal([false, false, true], Tensor.FromArray([1L, 2, 3]).Gt(2.5).ToArray<bool>());
    }

    [Fact]
    public void Where_MaskedFill_and_Clamp_select_values()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, -2, 3, -4]);
        var y = Tensor.FromArray([10.0, 20, 30, 40]);
        var positive = x.Gt(0);
        Expect.Close([1, 20, 3, 40], Tensor.Where(positive, x, y), Tight, "where");
        // The condition broadcasts over rows.
        Expect.Close([1, 2, 0, 0], Tensor.Where(Tensor.FromArray([true, false], [2, 1]), Tensor.FromArray([1.0, 2, 3, 4], [2, 2]),
            Tensor.Zeros([1], DType.Float64)), Tight, "broadcast where");

        var filled = x.MaskedFill(positive, double.NegativeInfinity);
        Expect.Close([double.NegativeInfinity, -2, double.NegativeInfinity, -4], filled, Tight, "masked_fill");
        Expect.Close([1, -2, 3, -4], x, Tight, "masked_fill leaves its input");

        Expect.Close([1, -1.5, 2, -1.5], x.Clamp(-1.5, 2), Tight, "clamp");
        Expect.Close([1, 0, 3, 0], x.Clamp(min: 0), Tight, "clamp min");
        Expect.Close([-3, -3, -3, -4], x.Clamp(max: -3), Tight, "clamp max");

        // Integral bounds keep an integer tensor integer, as torch.clamp(x, 0, 2) does.
        var clamped = Tensor.FromArray([-1L, 1, 5]).Clamp(0, 2);
        Assert.Equal(DType.Int64, clamped.DType);
        Assert.Equal([0L, 1, 2], clamped.ToArray<long>());
    }

    [Fact]
    public void Sum_Mean_Max_Min_over_everything_and_over_a_dimension()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([1.0, 5, 3, 4, 2, 6], [2, 3]);

        var total = x.Sum();
        Assert.Equal(0, total.Dim);
        Assert.Equal(21.0, total.ToDouble());
        Assert.Equal(3.5, x.Mean().ToDouble());
        Assert.Equal(6.0, x.Max().ToDouble());
        Assert.Equal(1.0, x.Min().ToDouble());

        Expect.Close([5, 7, 9], x.Sum(0), Tight, "sum over rows");
        var rowSums = x.Sum(1, keepDim: true);
        Expect.Shape([2, 1], rowSums, "keepDim");
        Expect.Close([9, 12], rowSums, Tight, "row sums");
        Expect.Close([21], x.Sum([0, 1], keepDim: true), Tight, "sum over both");
        Expect.Shape([1, 1], x.Sum([0, 1], keepDim: true), "sum over both keeps both");
        Expect.Close([3, 4], x.Mean(1), Tight, "row means");
        Expect.Close([2.5, 3.5, 4.5], x.Mean([0]), Tight, "column means");
        Expect.Close([5, 6], x.Max(1), Tight, "row max");
        Expect.Close([1, 2, 3], x.Min(0), Tight, "column min");
        Expect.Shape([1, 3], x.Min(0, keepDim: true), "min keepDim");
        Expect.Close([4, 5, 6], x.Max(-2), Tight, "max over −2");

        var ints = Tensor.FromArray([1L, 2, 3]).Sum();
        Assert.Equal(DType.Int64, ints.DType);
        Assert.Equal(6, ints.ToInt64());
    }

    [Fact]
    public void LogSumExp_ArgMax_Norm_and_CumSum()
    {
        using var scope = DisposeScope.Enter();
        double[] values = [1, 5, 3, 4, 2, 1000];
        var x = Tensor.FromArray(values, [2, 3]);

        // Stable for large entries: log(e^4 + e^2 + e^1000) = 1000 + log(1 + e^-996 + e^-998).
        Expect.Close(Reference.LogSumExpRows(values, 2, 3), x.LogSumExp(1), Tight, "logsumexp");
        Expect.Close([1000], x.LogSumExp(1).Narrow(0, 1, 1), Tight, "logsumexp of a large row");
        Expect.Shape([2, 1], x.LogSumExp(-1, keepDim: true), "logsumexp keepDim");

        var argmax = x.ArgMax(1);
        Assert.Equal(DType.Int64, argmax.DType);
        Assert.Equal([1L, 2], argmax.ToArray<long>());
        Assert.Equal([1L, 0, 1], x.ArgMax(0).ToArray<long>());
        Expect.Shape([2, 1], x.ArgMax(1, keepDim: true), "argmax keepDim");

        var v = Tensor.FromArray([3.0, -4, 12]);
        Expect.Close(13, v.Norm().ToDouble(), Tight, "L2 norm");
        Expect.Close(19, v.Norm(1).ToDouble(), Tight, "L1 norm");
        Expect.Close(Math.Sqrt(1 + 25 + 9 + 16 + 4 + 1e6), x.Norm().ToDouble(), Tight, "norm over a matrix");

        Expect.Close([1, 6, 9, 4, 6, 1006], x.CumSum(1), Tight, "cumsum over columns");
        Expect.Close([1, 5, 3, 5, 7, 1003], x.CumSum(0), Tight, "cumsum over rows");
    }

    [Fact]
    public void Bucketize_finds_each_value_s_bucket_among_sorted_boundaries()
    {
        using var scope = DisposeScope.Enter();
        // Buckets of [−1, 0, 2]: (−∞, −1] → 0, (−1, 0] → 1, (0, 2] → 2, (2, ∞) → 3; a value on a boundary goes below it.
        var boundaries = Tensor.FromArray([-1f, 0, 2]);
        var values = Tensor.FromArray([-3f, -1, -0.5f, 0, 1, 2, 2.5f], [7]);
        var buckets = values.Bucketize(boundaries);
        Assert.Equal(DType.Int64, buckets.DType);
        Assert.Equal([0L, 0, 1, 1, 2, 2, 3], buckets.ToArray<long>());
        Assert.Equal([1L, 2, 0, 3], Tensor.FromArray([-0.5f, 1, -2, 7], [2, 2]).Bucketize(boundaries).ToArray<long>());
    }

    [Fact]
    public void BitwiseAnd_keeps_the_bits_of_the_mask()
    {
        using var scope = DisposeScope.Enter();
        // 0x12345678 & 0xFFFF0000 = 0x12340000; −1 (all ones) keeps the mask itself; −65536 is 0xFFFF0000.
        var x = Tensor.FromArray([0x12345678, -1, 0xFFFF, 0x10000]);
        Assert.Equal([0x12340000, -65536, 0, 0x10000], x.BitwiseAnd(-65536).ToArray<int>());
        Assert.Equal([0x8L, 0x4, 0xC], Tensor.FromArray([0xAL, 0x5, 0xF]).BitwiseAnd(0xC).ToArray<long>());
    }

    [Fact]
    public void TopK_and_Sort_return_values_and_indices()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray([3.0, 1, 4, 0, 5, 9, 2, 6, 5.5, 3.5], [2, 5]);

        var (top, topIndex) = x.TopK(2);
        Expect.Close([5, 4, 9, 6], top, Tight, "top-2 values");
        Assert.Equal([4L, 2, 0, 2], topIndex.ToArray<long>());

        var (bottom, bottomIndex) = x.TopK(2, largest: false);
        Expect.Close([0, 1, 2, 3.5], bottom, Tight, "bottom-2 values");
        Assert.Equal([3L, 1, 1, 4], bottomIndex.ToArray<long>());

        var (columnTop, columnIndex) = x.TopK(1, dim: 0);
        Expect.Close([9, 2, 6, 5.5, 5], columnTop, Tight, "top-1 per column");
        Assert.Equal([1L, 1, 1, 1, 0], columnIndex.ToArray<long>());

        var (sorted, order) = x.Sort();
        Expect.Close([0, 1, 3, 4, 5, 2, 3.5, 5.5, 6, 9], sorted, Tight, "ascending");
        Assert.Equal([3L, 1, 0, 2, 4, 1, 4, 3, 2, 0], order.ToArray<long>());

        var (descending, descendingOrder) = x.Sort(dim: 1, descending: true);
        Expect.Close([5, 4, 3, 1, 0, 9, 6, 5.5, 3.5, 2], descending, Tight, "descending");
        Assert.Equal([4L, 2, 0, 1, 3, 0, 2, 3, 4, 1], descendingOrder.ToArray<long>());
    }
}
