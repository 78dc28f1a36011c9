using System.Runtime.InteropServices;

namespace LongRecipe.Engine.Torch.Interop;

// glibc's malloc, under libtorch's CPU tensors.
internal static partial class Native
{
    private const int TrimThreshold = -1, MmapMax = -4;

    /// <summary>
    /// glibc serves a request of 32 MiB or more (its adaptive threshold's ceiling) with a fresh mmap and unmaps it
    /// on free, so a CPU tensor that size costs a page fault for every 4 KiB page each time it is made. The anneal
    /// stage's attention scores on the built-in model (8 heads × 1024² f32, exactly 32 MiB) made about 474,000
    /// faults a step, 1.8 GB of fresh pages; the extend stage's (2 × 8 × 304², 5.6 MiB) 37. Served from the heap
    /// and never trimmed from it, freed pages are reused instead; the process keeps its high-water mark resident.
    /// A C library without mallopt (musl) keeps its own ways.
    /// </summary>
    private static void KeepFreedPages()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            mallopt(MmapMax, 0);
            mallopt(TrimThreshold, int.MaxValue);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    /// <summary>
    /// Hands the heap's freed pages back to the system (glibc's malloc_trim), for a moment that asks how much memory is free:
    /// kept for reuse, the pages a run or a load freed are this process's to take again, and the system's figure leaves them out.
    /// </summary>
    internal static void HandBackFreedPages()
    {
        try
        {
            malloc_trim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc.so.6")]
    private static partial int mallopt(int parameter, int value);

    [LibraryImport("libc.so.6")]
    private static partial int malloc_trim(nuint pad);
}
