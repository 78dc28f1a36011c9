using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Optim;

/// <summary>
/// One AdamW moment of one parameter, kept in the form its <see cref="OptimizerState"/> chooses. The optimizer
/// reads a range of elements as values to update in place, then writes them back; ranges start on a block
/// boundary. <see cref="Tensors"/> are what a checkpoint saves and restores (copied into in place).
/// </summary>
internal abstract class MomentStore : IDisposable
{
    public abstract IReadOnlyList<(string Name, Tensor Tensor)> Tensors { get; }

    /// <summary>Elements [start, start + length) as a 1-d tensor to update in place.</summary>
    public abstract Tensor Read(long start, long length);

    /// <summary>Stores the range <see cref="Read"/> gave, after its update.</summary>
    public abstract void Write(long start, Tensor values, Generator random);

    public long Bytes => Tensors.Sum(t => t.Tensor.NumElements * t.Tensor.DType.ElementSize());

    public void Dispose()
    {
        foreach (var (_, tensor) in Tensors) tensor.Dispose();
    }
}

/// <summary>The moment as torch.optim.AdamW keeps it: a tensor of the parameter's shape and dtype, updated where it lies.</summary>
internal sealed class FullMoment(string name, Tensor moment) : MomentStore
{
    public override IReadOnlyList<(string Name, Tensor Tensor)> Tensors { get; } = [(name, moment)];

    public Tensor Values => moment;

    public override Tensor Read(long start, long length) => moment.View(-1).Narrow(0, start, length);

    public override void Write(long start, Tensor values, Generator random)
    {
        // The update went into a view of this tensor.
    }
}

/// <summary>The moment in bf16 (the parameter's shape), read as f32 and written back by stochastic rounding.</summary>
internal sealed class Bf16Moment(string name, Tensor moment) : MomentStore
{
    public override IReadOnlyList<(string Name, Tensor Tensor)> Tensors { get; } = [(name, moment)];

    public override Tensor Read(long start, long length) => moment.View(-1).Narrow(0, start, length).To(DType.Float32);

    public override void Write(long start, Tensor values, Generator random) =>
        moment.View(-1).Narrow(0, start, values.NumElements).CopyFrom(StochasticRounding.ToBFloat16(values, random));
}

/// <summary>
/// The moment as block-wise 8-bit codes and f32 block maxima. With <paramref name="root"/> (the second moment,
/// v ≥ 0) the codes hold √v: v spans twice as many decades as √v, and an element whose v is 10⁻¹² of its block's
/// largest would otherwise become 0 while its first moment does not, making its update m / ε explode.
/// </summary>
internal sealed class Int8Moment : MomentStore
{
    private readonly BlockwiseQuantizer quantizer;
    private readonly bool root;
    private readonly Tensor codes, absmax;

    public Int8Moment(string name, long elements, Device device, BlockwiseQuantizer quantizer, bool root)
    {
        (this.quantizer, this.root) = (quantizer, root);
        codes = DisposeScope.Detach(Tensor.Zeros([elements], DType.UInt8, device));
        absmax = DisposeScope.Detach(Tensor.Zeros([quantizer.Blocks(elements)], DType.Float32, device));
        // A fresh moment is zero: every block maximum is 0, so every code stands for 0.
        Tensors = [($"{name}_codes", codes), ($"{name}_absmax", absmax)];
    }

    public override IReadOnlyList<(string Name, Tensor Tensor)> Tensors { get; }

    public override Tensor Read(long start, long length)
    {
        var (codeRange, blockRange) = Ranges(start, length);
        var values = quantizer.Dequantize(codeRange, blockRange);
        return root ? values.Square() : values;
    }

    public override void Write(long start, Tensor values, Generator random)
    {
        var (codeRange, blockRange) = Ranges(start, values.NumElements);
        var (newCodes, newAbsmax) = quantizer.Quantize(root ? values.Sqrt() : values);
        codeRange.CopyFrom(newCodes);
        blockRange.CopyFrom(newAbsmax);
    }

    private (Tensor Codes, Tensor Absmax) Ranges(long start, long length)
    {
        if (start % quantizer.BlockSize != 0) throw new ArgumentException($"a range must start on a block boundary ({quantizer.BlockSize}), not at {start}", nameof(start));
        return (codes.Narrow(0, start, length), absmax.Narrow(0, start / quantizer.BlockSize, quantizer.Blocks(length)));
    }
}
