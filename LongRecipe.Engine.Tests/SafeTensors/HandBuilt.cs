using System.Buffers.Binary;
using System.Text;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.SafeTensors;

/// <summary>
/// Safetensors bytes put together by hand, independently of the writer: a little-endian u64
/// header length, the header, the data.
/// </summary>
internal static class HandBuilt
{
    public static byte[] File(string headerJson, byte[] data) =>
        File((ulong)Encoding.UTF8.GetByteCount(headerJson), Encoding.UTF8.GetBytes(headerJson), data);

    /// <summary>A file whose length field says <paramref name="declaredHeaderLength"/>, whatever the header's real length.</summary>
    public static byte[] File(ulong declaredHeaderLength, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>A tensor's raw row-major bytes.</summary>
    public static byte[] BytesOf(Tensor tensor)
    {
        var bytes = new byte[tensor.NumElements * tensor.DType.ElementSize()];
        tensor.CopyBytesTo(bytes);
        return bytes;
    }
}
