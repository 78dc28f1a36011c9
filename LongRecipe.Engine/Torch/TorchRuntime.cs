using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>Bytes held on a CUDA device: by live tensors now, at peak since the last reset, and reserved by the caching allocator.</summary>
public readonly record struct CudaMemory(long Allocated, long Peak, long Reserved);

/// <summary>The fused attention kernels libtorch chooses among on CUDA (torch.backends.cuda.enable_*_sdp); Math is the unfused fallback.</summary>
[Flags]
public enum AttentionKernels
{
    Flash = 1,
    MemoryEfficient = 2,
    Cudnn = 4,
    Math = 8,
    /// <summary>libtorch's own choice among all of them.</summary>
    All = Flash | MemoryEfficient | Cudnn | Math,
}

/// <summary>The libtorch runtime: its version, seeds, threads and devices.</summary>
public static class TorchRuntime
{
    /// <summary>The libtorch the shim was built against, e.g. 1.13.0.</summary>
    public static Version Version
    {
        get
        {
            Native.Check(Native.lr_version(out var major, out var minor, out var patch, out _));
            return new Version(major, minor, patch);
        }
    }

    /// <summary>
    /// Whether attention runs libtorch's scaled_dot_product_attention (2.1 and newer), whose kernels need not hold the
    /// [query, key] scores; before it the shim computes softmax(q kᵀ) v as written, scores and all.
    /// </summary>
    public static bool HasFusedAttention { get; } = Version >= new Version(2, 1);

    /// <summary>Whether attention takes fewer key/value heads than query heads in one call (libtorch 2.5 and newer).</summary>
    public static bool HasGroupedQueryAttention { get; } = Version >= new Version(2, 5);

    /// <summary>Whether libtorch has the fused RMSNorm kernel on CUDA (2.8 and newer).</summary>
    public static bool HasFusedRmsNorm { get; } = Version >= new Version(2, 8);

    /// <summary>Whether elementwise kernels can be compiled at run time on CUDA (ATen's jiterator, in CUDA builds): <see cref="Functional.SwiGlu"/> is one kernel then.</summary>
    public static bool HasJitKernels { get; } = JitAvailable();

    /// <summary>
    /// Whether the engine uses its run-time compiled kernels (default: where it has them), process-wide; off, it composes
    /// the same functions from libtorch's ops, as benchmarks do to measure what the kernels bring.
    /// </summary>
    public static bool UseJitKernels
    {
        get => useJitKernels;
        set => useJitKernels = !value || HasJitKernels ? value
            : throw new InvalidOperationException("this libtorch cannot compile kernels at run time (a CUDA build is needed)");
    }

    private static bool useJitKernels = HasJitKernels;

    /// <summary>
    /// Whether the engine's kernels compiled through libtorch's NVRTC (<see cref="CudaModule"/>: the cross-entropy of
    /// <see cref="Functional.CrossEntropy"/>, the rotation of <see cref="Model.Rotary.Rotate"/>) run where they apply,
    /// process-wide (default: where this libtorch can compile them); off, the same functions are composed from libtorch's
    /// ops, as the CUDA tests do to compare and the benchmarks' --no-compiled-kernels does to measure what they bring.
    /// </summary>
    public static bool UseCompiledKernels
    {
        get => useCompiledKernels;
        set => useCompiledKernels = !value || CudaModule.IsAvailable ? value
            : throw new InvalidOperationException("this libtorch cannot compile kernels at run time (a CUDA build of libtorch whose NVRTC library loads is needed)");
    }

    private static bool useCompiledKernels = CudaModule.IsAvailable;

    /// <summary>
    /// Whether, where the compiled kernels run, each residual add and the RMSNorm after it run as one kernel each way
    /// (<see cref="Model.ResidualNormKernel"/>); on by default (it took 1B at 16k from 49.6% to 50.1% MFU on an H200,
    /// bench/README.md); the benchmarks' --no-residual-norm-kernel turns it off.
    /// </summary>
    public static bool UseResidualNormKernel { get; set; } = true;

    /// <summary>
    /// Whether linear maps of one input sum the input's gradient inside the matrix products (<see cref="SharedInputLinear"/>:
    /// the query, key and value projections, the gate and up projections), where autograd adds each product in a kernel of
    /// its own. Off by default: on the GPU its effect was within the noise of one run (bench/README.md, issue 14); the
    /// benchmarks' --shared-input-linear turns it on.
    /// </summary>
    public static bool UseSharedInputLinear { get; set; }

    private static bool JitAvailable()
    {
        Native.Check(Native.lr_jit_available(out var available));
        return available != 0;
    }

    /// <summary>Whether the attention kernels can be chosen (<see cref="UseAttentionKernels"/>; libtorch 2.8 and newer).</summary>
    public static bool HasAttentionKernelChoice { get; } = Version >= new Version(2, 8);

    /// <summary>
    /// Limits the attention kernels libtorch may pick, process-wide, as torch.backends.cuda.enable_*_sdp do. On Hopper,
    /// Cudnn | Math runs cuDNN's kernel, faster than Flash at long sequences (bench/README.md, issue 14).
    /// </summary>
    public static void UseAttentionKernels(AttentionKernels kernels) => Native.Check(Native.lr_set_attention_backends(
        kernels.HasFlag(AttentionKernels.Flash) ? 1 : 0, kernels.HasFlag(AttentionKernels.MemoryEfficient) ? 1 : 0,
        kernels.HasFlag(AttentionKernels.Cudnn) ? 1 : 0, kernels.HasFlag(AttentionKernels.Math) ? 1 : 0));

    /// <summary>Whether the shim was built against a libtorch with CUDA.</summary>
    public static bool BuiltWithCuda
    {
        get
        {
            Native.Check(Native.lr_version(out _, out _, out _, out var withCuda));
            return withCuda != 0;
        }
    }

    public static int CudaDeviceCount
    {
        get
        {
            Native.Check(Native.lr_cuda_device_count(out var count));
            return count;
        }
    }

    public static bool CudaAvailable => CudaDeviceCount > 0;

    /// <summary>
    /// Why <paramref name="device"/> cannot be used on this machine, e.g. "cuda:7 is not on this machine (CUDA devices 0 to 1)",
    /// or null; asked before loading, so a missing GPU is one plain sentence rather than libtorch's dispatcher listing.
    /// </summary>
    public static string? DeviceProblem(Device device)
    {
        if (!device.IsCuda) return null;
        if (!BuiltWithCuda) return $"{device} is not on this machine (this libtorch build has no CUDA)";
        var devices = CudaDeviceCount;
        return device.Index < devices ? null
            : $"{device} is not on this machine ({(devices == 0 ? "no CUDA device is visible" : $"CUDA devices 0 to {devices - 1}")})";
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(DType, Device), string?> computeProblems = new();

    /// <summary>
    /// Why a model cannot compute in <paramref name="dtype"/> on <paramref name="device"/> (libtorch 1.13 has no f16 matrix
    /// product on the CPU: every forward would fail), or null. Tried once per pair, with a 2 × 2 product.
    /// </summary>
    public static string? ComputeProblem(DType dtype, Device device) => computeProblems.GetOrAdd((dtype, device), key =>
    {
        try
        {
            using var scope = DisposeScope.Enter();
            var square = Tensor.Ones([2, 2], key.Item1, key.Item2);
            Functional.MatMul(square, square);
            return null;
        }
        catch (TorchException e)
        {
            return $"this libtorch cannot compute in {key.Item1.ShortName()} on the {key.Item2} ({e.Message.Split('\n')[0]})";
        }
    });

    /// <summary>Seeds libtorch's default generators (CPU and every CUDA device).</summary>
    public static void ManualSeed(ulong seed) => Native.Check(Native.lr_manual_seed(seed));

    /// <summary>Threads libtorch uses inside one CPU operation.</summary>
    public static int Threads
    {
        get
        {
            Native.Check(Native.lr_get_num_threads(out var count));
            return count;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Native.Check(Native.lr_set_num_threads(value));
        }
    }

    /// <summary>Waits for the device's queued work to finish; a no-op on the CPU.</summary>
    public static void Synchronize(Device device)
    {
        if (device.IsCuda) Native.Check(Native.lr_cuda_synchronize(device.Index));
    }

    public static CudaMemory CudaMemory(int deviceIndex = 0)
    {
        Native.Check(Native.lr_cuda_memory(deviceIndex, out var allocated, out var peak, out var reserved));
        return new CudaMemory(allocated, peak, reserved);
    }

    public static void ResetCudaPeak(int deviceIndex = 0) => Native.Check(Native.lr_cuda_reset_peak(deviceIndex));

    /// <summary>
    /// Caps the CUDA caching allocator on a device at <paramref name="fraction"/> of the device's memory, in (0, 1]
    /// (torch.cuda.set_per_process_memory_fraction): an allocation past it fails as out of memory. E.g. 80 GiB of a
    /// 141 GiB GPU stands in for an 80 GB one.
    /// </summary>
    public static void CapCudaMemory(int deviceIndex, double fraction) => Native.Check(Native.lr_cuda_set_memory_fraction(deviceIndex, fraction));

    /// <summary>
    /// The memory a device has in bytes: a CUDA device's own, or the host's physical memory (or the container's limit)
    /// for the CPU. What a run's tensors must fit in; a host that overcommits grants more and then kills the process.
    /// </summary>
    public static long TotalMemory(Device device)
    {
        if (!device.IsCuda) return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Native.Check(Native.lr_cuda_total_memory(device.Index, out var total));
        return total;
    }

    /// <summary>
    /// The memory a new allocation on <paramref name="device"/> can have now, in bytes. For the CPU on Linux, what the kernel
    /// counts as available (MemAvailable: free and reclaimable memory, the page cache included), and no more than
    /// <see cref="TotalMemory"/> (a container's limit) less this process's own anonymous memory; the heap's freed pages, which
    /// the engine otherwise keeps for reuse, are handed back first so that they count. For a CUDA device, its total less what
    /// this process's tensors hold there (other processes' share is not asked); elsewhere the CPU's total.
    /// </summary>
    public static long AvailableMemory(Device device)
    {
        if (device.IsCuda) return TotalMemory(device) - CudaMemory(device.Index).Allocated;
        if (!OperatingSystem.IsLinux()) return TotalMemory(device);
        Native.HandBackFreedPages();
        return Math.Min(Kibibytes("/proc/meminfo", "MemAvailable:"), TotalMemory(device) - Kibibytes("/proc/self/status", "RssAnon:"));
    }

    /// <summary>The value of a "Field:   123 kB" line of a /proc file, in bytes.</summary>
    private static long Kibibytes(string file, string field) =>
        1024 * long.Parse(File.ReadLines(file).First(line => line.StartsWith(field, StringComparison.Ordinal))[field.Length..]
            .Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Hands the CUDA caching allocator's unused blocks back to the driver (after an out-of-memory step, say); a no-op without CUDA.</summary>
    public static void EmptyCudaCache() => Native.Check(Native.lr_cuda_empty_cache());

    /// <summary>Whether a libtorch failure was an allocation that did not fit: CUDA's "CUDA out of memory" or the CPU allocator's "can't allocate memory".</summary>
    public static bool IsOutOfMemory(TorchException e) =>
        e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase);

    /// <summary>The process's resident set size in bytes (Linux), which native CPU tensors count towards.</summary>
    public static long CpuResidentBytes()
    {
        // statm: size resident shared text lib data dt, in pages.
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1]) * Environment.SystemPageSize;
    }
}
