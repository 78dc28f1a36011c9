namespace LongRecipe.Engine.Optim;

/// <summary>
/// The 256 values an 8-bit code stands for, sorted, in [−1, 1]; a code is an index into them.
/// <see cref="Boundaries"/> are the 255 midpoints between neighbours: the nearest value to x is the one whose
/// bucket x falls in.
/// </summary>
public sealed class QuantizationMap
{
    private QuantizationMap(double[] values)
    {
        if (values.Length != 256) throw new ArgumentException($"an 8-bit map has 256 values, not {values.Length}", nameof(values));
        Array.Sort(values);
        Values = [.. values.Select(v => (float)v)];
        Boundaries = [.. Enumerable.Range(0, 255).Select(i => (float)((values[i] + values[i + 1]) / 2))];
    }

    public IReadOnlyList<float> Values { get; }

    public IReadOnlyList<float> Boundaries { get; }

    /// <summary>For signed values (the first moment): 0, 1 and ±<see cref="Decades"/> with 6 − e fraction bits in decade e.</summary>
    public static QuantizationMap DynamicSigned { get; } = new([0, 1, .. Decades(6), .. Decades(6).Select(v => -v)]);

    /// <summary>For non-negative values (the root of the second moment): the sign bit becomes one more fraction bit.</summary>
    public static QuantizationMap DynamicUnsigned { get; } = new([0, 1, .. Decades(7)]);

    /// <summary>
    /// Dettmers' dynamic tree quantization without its bit layout: in decade e = 0 … 6, the magnitudes
    /// 10⁻ᵉ · (0.1 + 0.9 · (k + ½) / 2ᶠ) for k = 0 … 2ᶠ − 1, f = <paramref name="topBits"/> − e. Large
    /// magnitudes get fine steps (2^topBits of them in [0.1, 1]), small ones coarse steps over seven decades,
    /// which AdamW's moments need: within a block they span orders of magnitude. <paramref name="topBits"/> 6 gives
    /// 127 magnitudes (the smallest 5.5e-7), 7 gives 254 (the smallest 3.25e-7).
    /// </summary>
    public static IEnumerable<double> Decades(int topBits) =>
        from e in Enumerable.Range(0, 7)
        let steps = 1 << (topBits - e)
        from k in Enumerable.Range(0, steps)
        select Math.Pow(10, -e) * (0.1 + 0.9 * (k + 0.5) / steps);
}
