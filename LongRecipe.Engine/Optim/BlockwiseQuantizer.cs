using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Optim;

/// <summary>
/// Block-wise 8-bit quantization (Dettmers et al. 2021): the values are cut into blocks of
/// <see cref="BlockSize"/>, each block divided by its absolute maximum a, and each quotient stored as the
/// code of its nearest map value (ties to the lower value). Dequantized, x̂ = map[code] · a, so the error of
/// each element is at most a times half the gap between the map values around x / a, and an outlier
/// coarsens only its own block. The map's tensors are made once per device and kept until disposal.
/// </summary>
public sealed class BlockwiseQuantizer(QuantizationMap map, int blockSize = BlockwiseQuantizer.DefaultBlockSize) : IDisposable
{
    public const int DefaultBlockSize = 2048;

    private readonly Dictionary<Device, (Tensor Values, Tensor Boundaries)> tables = [];

    public QuantizationMap Map { get; } = map;

    public int BlockSize { get; } = blockSize > 0 ? blockSize : throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "must be positive");

    /// <summary>Blocks that <paramref name="elements"/> values take (the last may be partial).</summary>
    public long Blocks(long elements) => (elements + BlockSize - 1) / BlockSize;

    /// <summary>u8 codes [n] and f32 block maxima [⌈n / block⌉] of f32 values [n].</summary>
    public (Tensor Codes, Tensor Absmax) Quantize(Tensor values)
    {
        if (values.Dim != 1 || values.DType != DType.Float32)
            throw new ArgumentException($"quantization takes a 1-d f32 tensor, not {values.DType.ShortName()} [{string.Join(", ", values.Shape)}]", nameof(values));
        using var scope = DisposeScope.Enter();
        var blocks = InBlocks(values);
        var absmax = blocks.Abs().Max(1, keepDim: true);
        // An all-zero block divides by 1 instead of 0: its quotients, and so its values, stay 0.
        var quotients = blocks / absmax.Add(absmax.Eq(0));
        var codes = quotients.Bucketize(Table(values.Device).Boundaries).To(DType.UInt8).View(-1).Narrow(0, 0, values.NumElements);
        return (scope.MoveToOuter(codes.Contiguous()), scope.MoveToOuter(absmax.View(-1)));
    }

    /// <summary>The f32 values [n] that u8 <paramref name="codes"/> [n] stand for in blocks scaled by <paramref name="absmax"/> [⌈n / block⌉].</summary>
    public Tensor Dequantize(Tensor codes, Tensor absmax)
    {
        if (codes.Dim != 1 || codes.DType != DType.UInt8 || absmax.Dim != 1 || absmax.NumElements != Blocks(codes.NumElements))
            throw new ArgumentException(
                $"dequantization takes u8 codes [n] and ⌈n / {BlockSize}⌉ block maxima, not {codes.DType.ShortName()} [{string.Join(", ", codes.Shape)}] " +
                $"and [{string.Join(", ", absmax.Shape)}]");
        using var scope = DisposeScope.Enter();
        var quotients = Table(codes.Device).Values.IndexSelect(0, codes.To(DType.Int64));
        var values = InBlocks(quotients).Mul(absmax.Unsqueeze(1)).View(-1).Narrow(0, 0, codes.NumElements);
        return scope.MoveToOuter(values.Contiguous());
    }

    /// <summary>A 1-d tensor as [blocks, block], the last block padded with zeros.</summary>
    private Tensor InBlocks(Tensor x)
    {
        var n = x.NumElements;
        var padding = Blocks(n) * BlockSize - n;
        var whole = padding == 0 ? x : Tensor.Cat([x, Tensor.Zeros([padding], x.DType, x.Device)]);
        return whole.View(Blocks(n), BlockSize);
    }

    private (Tensor Values, Tensor Boundaries) Table(Device device)
    {
        if (tables.TryGetValue(device, out var table)) return table;
        table = (DisposeScope.Detach(Tensor.FromArray([.. Map.Values], device: device)),
            DisposeScope.Detach(Tensor.FromArray([.. Map.Boundaries], device: device)));
        tables[device] = table;
        return table;
    }

    public void Dispose()
    {
        foreach (var (values, boundaries) in tables.Values)
        {
            values.Dispose();
            boundaries.Dispose();
        }
        tables.Clear();
    }
}
