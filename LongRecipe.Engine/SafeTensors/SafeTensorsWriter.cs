using System.Buffers.Binary;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Torch;
using static LongRecipe.Engine.SafeTensors.SafeTensorsFormat;

namespace LongRecipe.Engine.SafeTensors;

/// <summary>
/// Writes tensors to a safetensors file: header keys and data in ordinal name order, data
/// contiguous from offset 0, header padded with spaces to 8-byte alignment. The file appears
/// at the destination only once complete (see <see cref="AtomicFile"/>).
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>The most bytes of one tensor copied to host at a time.</summary>
    private const int ChunkBytes = 64 << 20;

    /// <summary>
    /// Writes <paramref name="tensors"/> (any dtype, on any device, contiguous or not) and
    /// <paramref name="metadata"/> to <paramref name="path"/>, replacing any file there. Each tensor
    /// is copied to host in chunks of at most 64 MiB and streamed out, so neither all tensors nor one
    /// tensor of more than 2 GiB is ever held in managed memory. A non-contiguous tensor is first made
    /// contiguous, which costs one temporary native copy of it.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors, metadata, ChunkBytes);

    /// <summary>As the public overload, with the chunk size a parameter so tests can cross chunk boundaries with small tensors.</summary>
    internal static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata,
        int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, sizeof(long));
        var layout = Layout(tensors);
        var header = HeaderEncoder.Encode(layout.ConvertAll(item => item.Entry), metadata);
        if (header.Length > MaxHeaderBytes)
            throw new ArgumentException($"the header would be {header.Length} bytes, past the {MaxHeaderBytes}-byte limit readers accept",
                nameof(tensors));

        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            var largest = layout.Count == 0 ? 0 : layout.Max(item => item.Entry.ByteLength);
            var buffer = new byte[Math.Min(chunkBytes, largest)];
            foreach (var (entry, tensor) in layout)
                WriteData(stream, tensor, entry, buffer);
        });
    }

    /// <summary>Each tensor's entry, in name order, its bytes following the previous tensor's.</summary>
    private static List<(SafeTensorsEntry Entry, Tensor Tensor)> Layout(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var layout = new List<(SafeTensorsEntry, Tensor)>(tensors.Count);
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (name == MetadataKey)
                throw new ArgumentException($"'{MetadataKey}' names the metadata, not a tensor", nameof(tensors));
            var shape = tensor.Shape;
            var dtype = tensor.DType;
            long length = dtype.ElementSize();
            foreach (var dim in shape) length = checked(length * dim);
            layout.Add((new SafeTensorsEntry(name, dtype, [.. shape], offset, offset + length), tensor));
            offset += length;
        }
        return layout;
    }

    /// <summary>Streams one tensor's row-major bytes through <paramref name="buffer"/>, a slice of whole elements at a time.</summary>
    private static void WriteData(FileStream stream, Tensor tensor, SafeTensorsEntry entry, byte[] buffer)
    {
        if (entry.ByteLength == 0) return;
        var elementSize = entry.DType.ElementSize();
        var elements = entry.ByteLength / elementSize;
        var perChunk = buffer.Length / elementSize;
        // A view for a contiguous tensor (and 0-dim becomes [1]); slices of it are then plain ranges of elements.
        using var flat = tensor.Flatten();
        for (long start = 0; start < elements; start += perChunk)
        {
            var count = Math.Min(perChunk, elements - start);
            var bytes = buffer.AsSpan(0, (int)(count * elementSize));
            using (var chunk = flat.Narrow(0, start, count))
                chunk.CopyBytesTo(bytes);
            stream.Write(bytes);
        }
    }
}
