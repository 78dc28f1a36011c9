using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>Codes of the shim's lr_unary (math.cpp).</summary>
internal enum UnaryOp
{
    Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sin, Cos, Tanh, Sigmoid, Silu, Relu, Gelu, Square, Reciprocal,
    LogicalNot, IsFinite, IsNaN, Floor, Round, Sign, Log1p,
}

/// <summary>Codes of the shim's lr_binary family (math.cpp); Maximum … LogicalOr take tensors only, RSub scalars only.</summary>
internal enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Eq, Ne, Lt, Le, Gt, Ge, Remainder, FloorDivide, Maximum, Minimum, LogicalAnd, LogicalOr, RSub, BitwiseAnd,
}

/// <summary>Codes of the shim's lr_reduce (math.cpp).</summary>
internal enum ReduceOp
{
    Sum, Mean, Amax, Amin, LogSumExp,
}

// Elementwise math (broadcasting as libtorch does), selection, reductions.
public sealed partial class Tensor
{
    private Tensor Unary(UnaryOp op) => Wrap(Native.lr_unary((int)op, Handle, out var r), r);

    private Tensor Binary(BinaryOp op, Tensor other) => Wrap(Native.lr_binary((int)op, Handle, other.Handle, out var r), r);

    private Tensor Binary(BinaryOp op, double scalar)
    {
        var (integer, isInteger) = ScalarParts(scalar);
        return Wrap(Native.lr_binary_scalar((int)op, Handle, scalar, integer, isInteger, out var r), r);
    }

    public Tensor Neg() => Unary(UnaryOp.Neg);
    public Tensor Exp() => Unary(UnaryOp.Exp);
    public Tensor Log() => Unary(UnaryOp.Log);
    public Tensor Log1p() => Unary(UnaryOp.Log1p);
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    /// <summary>1 / √x.</summary>
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor Abs() => Unary(UnaryOp.Abs);
    public Tensor Sin() => Unary(UnaryOp.Sin);
    public Tensor Cos() => Unary(UnaryOp.Cos);
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    /// <summary>1 / (1 + e^−x).</summary>
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    /// <summary>x · sigmoid(x), the SwiGLU gate's activation.</summary>
    public Tensor Silu() => Unary(UnaryOp.Silu);
    public Tensor Relu() => Unary(UnaryOp.Relu);
    /// <summary>x · Φ(x) with the exact normal CDF.</summary>
    public Tensor Gelu() => Unary(UnaryOp.Gelu);
    public Tensor Square() => Unary(UnaryOp.Square);
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot);
    public Tensor IsFinite() => Unary(UnaryOp.IsFinite);
    public Tensor IsNaN() => Unary(UnaryOp.IsNaN);
    public Tensor Floor() => Unary(UnaryOp.Floor);
    /// <summary>Rounds half to even.</summary>
    public Tensor Round() => Unary(UnaryOp.Round);
    public Tensor Sign() => Unary(UnaryOp.Sign);

    public Tensor Add(Tensor other) => Binary(BinaryOp.Add, other);
    public Tensor Add(double scalar) => Binary(BinaryOp.Add, scalar);
    public Tensor Sub(Tensor other) => Binary(BinaryOp.Sub, other);
    public Tensor Sub(double scalar) => Binary(BinaryOp.Sub, scalar);
    public Tensor Mul(Tensor other) => Binary(BinaryOp.Mul, other);
    public Tensor Mul(double scalar) => Binary(BinaryOp.Mul, scalar);
    /// <summary>True division (integer tensors give floats).</summary>
    public Tensor Div(Tensor other) => Binary(BinaryOp.Div, other);
    public Tensor Div(double scalar) => Binary(BinaryOp.Div, scalar);
    public Tensor Pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor Pow(double exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor Remainder(double divisor) => Binary(BinaryOp.Remainder, divisor);
    public Tensor FloorDivide(double divisor) => Binary(BinaryOp.FloorDivide, divisor);
    /// <summary>x &amp; mask, bit by bit, for integer tensors (e.g. the high 16 bits of i32 words: mask −65536).</summary>
    public Tensor BitwiseAnd(long mask) => Binary(BinaryOp.BitwiseAnd, mask);
    public Tensor Maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    public Tensor Minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    public Tensor LogicalAnd(Tensor other) => Binary(BinaryOp.LogicalAnd, other);
    public Tensor LogicalOr(Tensor other) => Binary(BinaryOp.LogicalOr, other);

    public Tensor Eq(Tensor other) => Binary(BinaryOp.Eq, other);
    public Tensor Eq(double scalar) => Binary(BinaryOp.Eq, scalar);
    public Tensor Ne(Tensor other) => Binary(BinaryOp.Ne, other);
    public Tensor Ne(double scalar) => Binary(BinaryOp.Ne, scalar);
    public Tensor Lt(Tensor other) => Binary(BinaryOp.Lt, other);
    public Tensor Lt(double scalar) => Binary(BinaryOp.Lt, scalar);
    public Tensor Le(Tensor other) => Binary(BinaryOp.Le, other);
    public Tensor Le(double scalar) => Binary(BinaryOp.Le, scalar);
    public Tensor Gt(Tensor other) => Binary(BinaryOp.Gt, other);
    public Tensor Gt(double scalar) => Binary(BinaryOp.Gt, scalar);
    public Tensor Ge(Tensor other) => Binary(BinaryOp.Ge, other);
    public Tensor Ge(double scalar) => Binary(BinaryOp.Ge, scalar);

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double b) => a.Add(b);
    public static Tensor operator +(double a, Tensor b) => b.Add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);
    public static Tensor operator -(double a, Tensor b) => b.Binary(BinaryOp.RSub, a);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double b) => a.Div(b);

    /// <summary>Limits values to [min, max]; either bound may be absent. Integral bounds keep an integer tensor integer.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        var (minInteger, minIsInteger) = ScalarParts(min ?? 0);
        var (maxInteger, maxIsInteger) = ScalarParts(max ?? 0);
        return Wrap(Native.lr_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, minInteger, minIsInteger,
            max.HasValue ? 1 : 0, max ?? 0, maxInteger, maxIsInteger, out var r), r);
    }

    /// <summary>Elements of <paramref name="x"/> where <paramref name="condition"/> holds, else of <paramref name="y"/>.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y) =>
        Wrap(Native.lr_where(condition.Handle, x.Handle, y.Handle, out var r), r);

    /// <summary>A copy with <paramref name="value"/> wherever the boolean <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Wrap(Native.lr_masked_fill(Handle, mask.Handle, value, out var r), r);

    // ---- in place (used by optimizers, under no-grad) -------------------------

    private Tensor InPlace(BinaryOp op, Tensor other)
    {
        Native.Check(Native.lr_binary_((int)op, Handle, other.Handle));
        return this;
    }

    private Tensor InPlace(BinaryOp op, double scalar)
    {
        var (integer, isInteger) = ScalarParts(scalar);
        Native.Check(Native.lr_binary_scalar_((int)op, Handle, scalar, integer, isInteger));
        return this;
    }

    /// <summary>this += alpha · other (alpha 1 also for integer tensors, which take no fractional scale).</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        if (alpha == 1) return InPlace(BinaryOp.Add, other);
        Native.Check(Native.lr_add_scaled_(Handle, other.Handle, alpha));
        return this;
    }

    public Tensor AddInPlace(double scalar) => InPlace(BinaryOp.Add, scalar);
    public Tensor SubInPlace(Tensor other) => InPlace(BinaryOp.Sub, other);
    public Tensor MulInPlace(Tensor other) => InPlace(BinaryOp.Mul, other);
    public Tensor MulInPlace(double scalar) => InPlace(BinaryOp.Mul, scalar);
    public Tensor DivInPlace(Tensor other) => InPlace(BinaryOp.Div, other);
    public Tensor DivInPlace(double scalar) => InPlace(BinaryOp.Div, scalar);

    /// <summary>this += a · b for matrices, the product added by the matrix kernel itself (no separate add).</summary>
    public Tensor AddMatMulInPlace(Tensor a, Tensor b)
    {
        Native.Check(Native.lr_addmm_(Handle, a.Handle, b.Handle));
        return this;
    }

    /// <summary>this += value · a · b.</summary>
    public Tensor AddcmulInPlace(Tensor a, Tensor b, double value = 1)
    {
        Native.Check(Native.lr_addcmul_(Handle, a.Handle, b.Handle, value));
        return this;
    }

    /// <summary>this += value · a / b.</summary>
    public Tensor AddcdivInPlace(Tensor a, Tensor b, double value = 1)
    {
        Native.Check(Native.lr_addcdiv_(Handle, a.Handle, b.Handle, value));
        return this;
    }

    /// <summary>this += weight · (end − this).</summary>
    public Tensor LerpInPlace(Tensor end, double weight)
    {
        Native.Check(Native.lr_lerp_(Handle, end.Handle, weight));
        return this;
    }

    // ---- reductions ---------------------------------------------------------

    private Tensor Reduce(ReduceOp op, ReadOnlySpan<long> dims, bool keepDim) =>
        Wrap(Native.lr_reduce((int)op, Handle, dims, dims.Length, keepDim ? 1 : 0, out var r), r);

    /// <summary>Sum over all elements.</summary>
    public Tensor Sum() => Reduce(ReduceOp.Sum, [], false);
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(ReduceOp.Sum, [dim], keepDim);
    public Tensor Sum(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Sum, dims, keepDim);
    public Tensor Mean() => Reduce(ReduceOp.Mean, [], false);
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(ReduceOp.Mean, [dim], keepDim);
    public Tensor Mean(long[] dims, bool keepDim = false) => Reduce(ReduceOp.Mean, dims, keepDim);
    public Tensor Max() => Reduce(ReduceOp.Amax, [], false);
    public Tensor Max(long dim, bool keepDim = false) => Reduce(ReduceOp.Amax, [dim], keepDim);
    public Tensor Min() => Reduce(ReduceOp.Amin, [], false);
    public Tensor Min(long dim, bool keepDim = false) => Reduce(ReduceOp.Amin, [dim], keepDim);
    /// <summary>log Σ exp(x) over <paramref name="dim"/>, computed stably.</summary>
    public Tensor LogSumExp(long dim, bool keepDim = false) => Reduce(ReduceOp.LogSumExp, [dim], keepDim);

    public Tensor ArgMax(long dim, bool keepDim = false) => Wrap(Native.lr_argmax(Handle, dim, keepDim ? 1 : 0, out var r), r);

    /// <summary>(Σ |x|^p)^(1/p) over all elements.</summary>
    public Tensor Norm(double p = 2) => Wrap(Native.lr_norm(Handle, p, out var r), r);

    public Tensor CumSum(long dim) => Wrap(Native.lr_cumsum(Handle, dim, out var r), r);

    /// <summary>The k largest (or smallest) values along a dimension, sorted, and their indices.</summary>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true)
    {
        Native.Check(Native.lr_topk(Handle, k, dim, largest ? 1 : 0, out var values, out var indices));
        return (new Tensor(values), new Tensor(indices));
    }

    /// <summary>
    /// For each element x, the index i of its bucket among the sorted 1-d <paramref name="boundaries"/> b:
    /// b[i−1] &lt; x ≤ b[i], 0 at or below b[0], b.Length above the last (i64, x's shape).
    /// </summary>
    public Tensor Bucketize(Tensor boundaries) => Wrap(Native.lr_bucketize(Handle, boundaries.Handle, out var r), r);

    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false)
    {
        Native.Check(Native.lr_sort(Handle, dim, descending ? 1 : 0, out var values, out var indices));
        return (new Tensor(values), new Tensor(indices));
    }
}
