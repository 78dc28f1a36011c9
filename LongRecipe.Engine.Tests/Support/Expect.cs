using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Support;

/// <summary>
/// Labelled numeric assertions. A value passes when |actual − expected| ≤ tol · max(1, |expected|):
/// an absolute tolerance near zero, a relative one for large values. NaN matches only NaN.
/// </summary>
internal static class Expect
{
    public static void Close(double expected, double actual, double tol, string label)
    {
        if (!Within(expected, actual, tol))
            Assert.Fail($"{label}: expected {expected:R}, got {actual:R} (tolerance {tol:G3})");
    }

    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tol, string label)
    {
        if (expected.Length != actual.Length)
            Assert.Fail($"{label}: expected {expected.Length} values, got {actual.Length}");
        for (var i = 0; i < expected.Length; i++)
            if (!Within(expected[i], actual[i], tol))
                Assert.Fail($"{label}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tol:G3})");
    }

    /// <summary>Compares a tensor of any dtype and device, read as f64, with the expected values.</summary>
    public static void Close(ReadOnlySpan<double> expected, Tensor actual, double tol, string label) =>
        Close(expected, Values(actual), tol, label);

    public static void Shape(long[] expected, Tensor actual, string label)
    {
        var shape = actual.Shape;
        if (!shape.SequenceEqual(expected))
            Assert.Fail($"{label}: expected shape [{string.Join(", ", expected)}], got [{string.Join(", ", shape)}]");
    }

    /// <summary>The elements as f64 on the host, in row-major order.</summary>
    public static double[] Values(Tensor t)
    {
        using var host = t.To(DType.Float64, Device.Cpu);
        return host.ToArray<double>();
    }

    private static bool Within(double expected, double actual, double tol) =>
        double.IsNaN(expected) ? double.IsNaN(actual)
        : double.IsInfinity(expected) ? expected == actual
        : Math.Abs(actual - expected) <= tol * Math.Max(1, Math.Abs(expected));
}
