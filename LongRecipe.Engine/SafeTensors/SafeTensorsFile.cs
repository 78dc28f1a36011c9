using System.IO.MemoryMappedFiles;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.SafeTensors;

/// <summary>
/// An open safetensors file. <see cref="Open"/> reads and validates the whole header before
/// anything else; tensors are then loaded one at a time, by name, straight from a memory map of
/// the file into a new tensor, so a load holds no managed copy of the data. Loads may run on
/// several threads at once. The file stays open (and readable, even if replaced) until disposed;
/// like every memory map, it must not be truncated in place meanwhile.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile map;
    private readonly Dictionary<string, SafeTensorsEntry> byName;
    private readonly long dataStart;
    private bool disposed;

    private SafeTensorsFile(string filePath, ParsedHeader header, MemoryMappedFile map)
    {
        FilePath = filePath;
        Entries = header.Entries;
        Metadata = header.Metadata;
        dataStart = header.DataStart;
        byName = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        this.map = map;
    }

    /// <summary>The path as given to <see cref="Open"/>; errors name the file by it.</summary>
    public string FilePath { get; }

    /// <summary>Every tensor's entry, in the order their data lies in the file.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    /// <summary>The header's "__metadata__" strings; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="SafeTensorsFormatException"/> on any malformed header.</summary>
    public static SafeTensorsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var header = HeaderParser.Read(stream, path);
            var map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            return new SafeTensorsFile(path, header, map);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => byName.ContainsKey(name);

    public SafeTensorsEntry GetEntry(string name) =>
        byName.TryGetValue(name, out var entry) ? entry : throw new KeyNotFoundException($"{FilePath}: no tensor '{name}'");

    /// <summary>
    /// Loads tensor <paramref name="name"/>, converted to <paramref name="dtype"/> and placed on
    /// <paramref name="device"/> (by default its stored dtype, on the CPU) in the same copy.
    /// </summary>
    public unsafe Tensor Load(string name, DType? dtype = null, Device? device = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var entry = GetEntry(name);
        if (entry.ByteLength == 0)
            return Tensor.FromPointer(null, 0, entry.DType, entry.Shape.AsSpan(), dtype, device);

        // The entry was checked against the file's length when the header was read, so this view lies inside the file.
        using var view = map.CreateViewAccessor(dataStart + entry.Begin, entry.ByteLength, MemoryMappedFileAccess.Read);
        var handle = view.SafeMemoryMappedViewHandle;
        byte* mapped = null;
        try
        {
            handle.AcquirePointer(ref mapped);
            // The mapping starts at a page boundary; PointerOffset is how far past it the requested offset lies.
            return Tensor.FromPointer(mapped + view.PointerOffset, entry.ByteLength, entry.DType, entry.Shape.AsSpan(), dtype, device);
        }
        finally
        {
            if (mapped != null) handle.ReleasePointer();
        }
    }

    public void Dispose()
    {
        disposed = true;
        map.Dispose();
    }
}
