using System.Collections.Concurrent;
using LongRecipe.Engine.Torch.Interop;

namespace LongRecipe.Engine.Torch;

/// <summary>
/// CUDA C++ source compiled at run time by libtorch's NVRTC, as cupy.RawModule: the engine's own kernels, for work
/// libtorch has no fused op for. The source is compiled once per device, on first use, for that device's architecture;
/// its <c>extern "C" __global__</c> kernels are launched by name on libtorch's current stream, so that a CUDA graph
/// records them. Kernels read no headers.
/// </summary>
public sealed class CudaModule(string source)
{
    private readonly ConcurrentDictionary<int, nint> modules = new();
    private readonly ConcurrentDictionary<(int Device, string Name), nint> functions = new();

    /// <summary>Whether this libtorch can compile kernels at run time: a CUDA build whose NVRTC library (libcaffe2_nvrtc.so) and the driver load.</summary>
    public static bool IsAvailable { get; } = Available();

    /// <summary>
    /// Launches kernel <paramref name="name"/> on <paramref name="device"/> over <paramref name="grid"/> blocks of
    /// <paramref name="block"/> threads. Each argument is 8 bytes, as the kernel declares them: a tensor passes its data's
    /// address (a pointer parameter), a long its value (a <c>long long</c> parameter). The tensors must stay alive until
    /// the kernel has run, which libtorch's allocator ensures for tensors freed on the same stream.
    /// </summary>
    public unsafe void Launch(string name, Device device, (uint X, uint Y, uint Z) grid, uint block, params KernelArgument[] arguments)
    {
        if (!device.IsCuda) throw new ArgumentException($"kernels run on CUDA devices, not {device}", nameof(device));
        var function = Function(device.Index, name);
        var values = stackalloc long[arguments.Length];
        var pointers = stackalloc void*[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            values[i] = arguments[i].Value;
            pointers[i] = &values[i];
        }
        var gridSize = stackalloc uint[] { grid.X, grid.Y, grid.Z };
        var blockSize = stackalloc uint[] { block, 1, 1 };
        Native.Check(Native.lr_cuda_launch(function, device.Index, gridSize, blockSize, 0, pointers));
    }

    /// <summary>
    /// Elements of <paramref name="dtype"/> a thread of the engine's kernels loads at once: 16 bytes' worth where each
    /// of <paramref name="tensors"/> starts on a 16-byte boundary and <paramref name="stride"/> (the elements between the
    /// starts of the rows a thread loads from) is a multiple of it; else one.
    /// </summary>
    public static long PackWidth(DType dtype, long stride, params Tensor[] tensors)
    {
        long width = 16 / dtype.ElementSize();
        return stride % width == 0 && tensors.All(t => ((KernelArgument)t).Value % 16 == 0) ? width : 1;
    }

    /// <summary>
    /// The name the engine's kernels go by for one pass, dtype and pack width, as their sources' macros spell it:
    /// <c>{stem}_bf16_x8</c>, <c>{stem}_f32_x1</c>.
    /// </summary>
    public static string KernelName(string stem, DType dtype, long width) =>
        $"{stem}_{(dtype == DType.BFloat16 ? "bf16" : "f32")}_x{width}";

    /// <summary>
    /// What the engine's kernels share, to put before their source: bf16 as its bits (no headers), conversions to and
    /// from f32 (rounded to nearest even, as torch rounds), and Pack&lt;T, W&gt;, W elements loaded and stored as one.
    /// </summary>
    public const string Common = """
        typedef unsigned short bf16;

        __device__ __forceinline__ float to_float(float x) { return x; }
        __device__ __forceinline__ float to_float(bf16 x) { return __uint_as_float(static_cast<unsigned int>(x) << 16); }
        __device__ __forceinline__ void from_float(float x, float& out) { out = x; }
        __device__ __forceinline__ void from_float(float x, bf16& out) {
          const unsigned int u = __float_as_uint(x);
          out = (u & 0x7fffffffu) > 0x7f800000u ? bf16(0x7fc0) : bf16((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        }

        template <typename T, int W> struct alignas(sizeof(T) * W) Pack { T v[W]; };
        template <typename T, int W> __device__ __forceinline__ Pack<T, W> load(const T* p) {
          return *reinterpret_cast<const Pack<T, W>*>(p);
        }
        template <typename T, int W> __device__ __forceinline__ void store(T* p, const Pack<T, W>& pack) {
          *reinterpret_cast<Pack<T, W>*>(p) = pack;
        }

        """;

    private nint Function(int device, string name) => functions.GetOrAdd((device, name), key =>
    {
        var module = modules.GetOrAdd(key.Device, d =>
        {
            Native.Check(Native.lr_cuda_module_load(source, d, out var loaded));
            return loaded;
        });
        Native.Check(Native.lr_cuda_module_function(module, key.Name, out var function));
        return function;
    });

    private static bool Available()
    {
        Native.Check(Native.lr_cuda_modules_available(out var available));
        return available != 0;
    }
}

/// <summary>An argument of <see cref="CudaModule.Launch"/>: a tensor's data address or a 64-bit integer.</summary>
public readonly record struct KernelArgument(long Value)
{
    public static implicit operator KernelArgument(long value) => new(value);

    public static implicit operator KernelArgument(Tensor tensor)
    {
        Native.Check(Native.lr_tensor_data_ptr(tensor.Handle, out var data));
        return new(data);
    }
}
