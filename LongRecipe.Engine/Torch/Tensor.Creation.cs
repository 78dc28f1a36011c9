using System.Runtime.InteropServices;
using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

// Creation, copies to and from managed memory, conversion.
public sealed partial class Tensor
{
    /// <summary>Copies managed data of shape <paramref name="shape"/> into a new tensor (of <paramref name="dtype"/>, converting, when given).</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, DType? dtype = null, Device? device = null)
        where T : unmanaged =>
        FromBytes(MemoryMarshal.AsBytes(data), DTypeExtensions.Of<T>(), shape, dtype, device);

    /// <summary>A tensor from an array; without a shape, a vector.</summary>
    public static Tensor FromArray<T>(T[] data, long[]? shape = null, DType? dtype = null, Device? device = null)
        where T : unmanaged =>
        FromSpan<T>(data, shape ?? [data.Length], dtype, device);

    /// <summary>
    /// Copies raw little-endian elements of <paramref name="sourceDType"/> into a new tensor, converting
    /// to <paramref name="dtype"/> and moving to <paramref name="device"/> in the same pass.
    /// </summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> data, DType sourceDType, ReadOnlySpan<long> shape,
        DType? dtype = null, Device? device = null)
    {
        long count = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new ArgumentException($"negative dimension {s} in shape", nameof(shape));
            count *= s;
        }
        if (count * sourceDType.ElementSize() != data.Length)
            throw new ArgumentException(
                $"{data.Length} bytes do not hold [{string.Join(", ", shape.ToArray())}] elements of {sourceDType.ShortName()}", nameof(data));
        var d = device ?? Device.Cpu;
        fixed (byte* p = data)
        {
            // No elements may come as a null address; libtorch wants a non-null one all the same.
            byte dummy = 0;
            var address = p == null ? &dummy : p;
            return Wrap(Native.lr_tensor_from_data(address, shape, shape.Length, (int)sourceDType, (int)(dtype ?? sourceDType),
                (int)d.Type, d.Index, out var r), r);
        }
    }

    public static Tensor Empty(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Wrap(Native.lr_tensor_empty(shape, shape.Length, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public static Tensor Full(ReadOnlySpan<long> shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        var (integer, isInteger) = ScalarParts(value);
        return Wrap(Native.lr_tensor_full(shape, shape.Length, value, integer, isInteger, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public static Tensor Zeros(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 0, dtype, device);

    public static Tensor Ones(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    /// <summary>start, start + step, … below end.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Wrap(Native.lr_tensor_arange(start, end, step, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public static Tensor Arange(long end, DType dtype = DType.Int64, Device? device = null) => Arange(0, end, 1, dtype, device);

    // ---- random (drawn where the generator lives, on the CPU unless it was made for a device) ----

    /// <summary>Samples of the standard normal distribution N(0, 1).</summary>
    public static Tensor Randn(ReadOnlySpan<long> shape, Generator generator, DType dtype = DType.Float32, Device? device = null) =>
        Random(0, shape, 0, 0, generator, dtype, device);

    /// <summary>Samples of the uniform distribution on [0, 1).</summary>
    public static Tensor Rand(ReadOnlySpan<long> shape, Generator generator, DType dtype = DType.Float32, Device? device = null) =>
        Random(1, shape, 0, 0, generator, dtype, device);

    /// <summary>Uniform integers in [low, high).</summary>
    public static Tensor RandInt(long low, long high, ReadOnlySpan<long> shape, Generator generator, DType dtype = DType.Int64,
        Device? device = null) =>
        Random(2, shape, low, high, generator, dtype, device);

    /// <summary>A uniformly random permutation of 0 … n−1.</summary>
    public static Tensor RandPerm(long n, Generator generator, Device? device = null) =>
        Random(3, [n], 0, 0, generator, DType.Int64, device);

    private static Tensor Random(int kind, ReadOnlySpan<long> shape, long low, long high, Generator generator, DType dtype, Device? device)
    {
        var d = device ?? Device.Cpu;
        return Wrap(Native.lr_random(kind, shape, shape.Length, low, high, generator.Handle, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    // ---- copies out ---------------------------------------------------------

    /// <summary>Copies every element, in row-major order, into <paramref name="destination"/> (exactly as long as the tensor).</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        if (DTypeExtensions.Of<T>() != DType)
            throw new ArgumentException($"a {DType.ShortName()} tensor cannot be copied into {typeof(T).Name} elements; convert it with To first");
        CopyBytesTo(MemoryMarshal.AsBytes(destination));
    }

    /// <summary>Copies the raw elements, in row-major order, into <paramref name="destination"/>.</summary>
    public unsafe void CopyBytesTo(Span<byte> destination)
    {
        fixed (byte* p = destination)
        {
            byte dummy = 0;
            Native.Check(Native.lr_tensor_copy_to_host(Handle, p == null ? &dummy : p, destination.Length));
        }
    }

    public T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[NumElements];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double ToDouble()
    {
        Native.Check(Native.lr_tensor_item(Handle, out var value));
        return value;
    }

    /// <summary>The value of a one-element tensor, exactly, for integer tensors.</summary>
    public long ToInt64()
    {
        Native.Check(Native.lr_tensor_item_int(Handle, out var value));
        return value;
    }

    // ---- conversion ---------------------------------------------------------

    public Tensor To(DType dtype, Device? device = null)
    {
        var d = device ?? Device;
        return Wrap(Native.lr_tensor_to(Handle, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public Tensor To(Device device) => To(DType, device);

    public Tensor Clone() => Wrap(Native.lr_tensor_clone(Handle, out var r), r);

    public Tensor Contiguous() => Wrap(Native.lr_tensor_contiguous(Handle, out var r), r);

    // ---- in-place writes ----------------------------------------------------

    /// <summary>Copies <paramref name="source"/> (broadcast, converted) into this tensor.</summary>
    public Tensor CopyFrom(Tensor source)
    {
        Native.Check(Native.lr_tensor_copy_(Handle, source.Handle));
        return this;
    }

    /// <summary>
    /// Copies <paramref name="byteLength"/> bytes of raw little-endian <paramref name="sourceDType"/> elements at
    /// <paramref name="data"/> (native memory: a window of a memory-mapped file, say), row-major, into this tensor,
    /// converting in the same pass; they must be exactly as many elements as it holds. The memory is read during the call only.
    /// </summary>
    internal unsafe Tensor CopyFromHost(byte* data, long byteLength, DType sourceDType)
    {
        Native.Check(Native.lr_tensor_copy_from_host(Handle, data, byteLength, (int)sourceDType));
        return this;
    }

    public Tensor Fill(double value)
    {
        var (integer, isInteger) = ScalarParts(value);
        Native.Check(Native.lr_tensor_fill_(Handle, value, integer, isInteger));
        return this;
    }

    public Tensor Zero() => Fill(0);

    /// <summary>
    /// An integral scalar travels as an exact integer: libtorch then keeps integer tensors integer
    /// (1 + an i64 tensor stays i64), while a float tensor is unaffected either way.
    /// </summary>
    internal static (long Integer, int IsInteger) ScalarParts(double value) =>
        Math.Abs(value) < 9.2e18 && value == Math.Floor(value) ? ((long)value, 1) : (0, 0);
}
