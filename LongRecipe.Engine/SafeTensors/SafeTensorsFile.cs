using System.IO.MemoryMappedFiles;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.SafeTensors;

/// <summary>
/// An open safetensors file. <see cref="Open"/> reads and validates the whole header before
/// anything else; tensors are then loaded one at a time, by name, straight from a memory map of
/// the file into a new tensor, a window at a time, so a load holds neither a managed copy of the
/// data nor a second native one. Loads may run on several threads at once. The file stays open
/// (and readable, even if replaced) until disposed; like every memory map, it must not be
/// truncated in place meanwhile.
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

    /// <summary>The most bytes of the file mapped at once while a tensor is copied, e.g. 64 MiB of a 1 GiB embedding.</summary>
    public const long WindowBytes = 64 << 20;

    /// <summary>
    /// Loads tensor <paramref name="name"/>, converted to <paramref name="dtype"/> and placed on
    /// <paramref name="device"/> (by default its stored dtype, on the CPU). The tensor is allocated once, in its final
    /// dtype, and filled through windows of at most <see cref="WindowBytes"/> of the map, each converted as it is copied:
    /// besides the tensor, a load holds one window's pages of the file, never a second copy of the tensor.
    /// </summary>
    public Tensor Load(string name, DType? dtype = null, Device? device = null) => Load(name, dtype, device, WindowBytes);

    /// <summary>As the public overload, with the window a parameter so tests can cross window boundaries with small tensors.</summary>
    internal Tensor Load(string name, DType? dtype, Device? device, long windowBytes)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var entry = GetEntry(name);
        var elementSize = entry.DType.ElementSize();
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBytes, elementSize);
        using var scope = DisposeScope.Enter();
        var tensor = Tensor.Empty(entry.Shape.AsSpan(), dtype ?? entry.DType, device);
        var elements = entry.ByteLength / elementSize;
        var perWindow = windowBytes / elementSize;
        // A view of the new contiguous tensor (a 0-dim one becomes [1]); each window fills a plain range of it.
        var flat = tensor.Flatten();
        for (long start = 0; start < elements; start += perWindow)
        {
            var count = Math.Min(perWindow, elements - start);
            using var part = flat.Narrow(0, start, count);
            Copy(entry.Begin + start * elementSize, count * elementSize, entry.DType, part);
        }
        return scope.MoveToOuter(tensor);
    }

    /// <summary>Copies <paramref name="length"/> bytes at <paramref name="begin"/> of the data buffer into <paramref name="part"/>, mapped for the copy only.</summary>
    private unsafe void Copy(long begin, long length, DType stored, Tensor part)
    {
        // The entry was checked against the file's length when the header was read, so this view lies inside the file.
        using var view = map.CreateViewAccessor(dataStart + begin, length, MemoryMappedFileAccess.Read);
        var handle = view.SafeMemoryMappedViewHandle;
        byte* mapped = null;
        try
        {
            handle.AcquirePointer(ref mapped);
            // The mapping starts at a page boundary; PointerOffset is how far past it the requested offset lies.
            part.CopyFromHost(mapped + view.PointerOffset, length, stored);
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
