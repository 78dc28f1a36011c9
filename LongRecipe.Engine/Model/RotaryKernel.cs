using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>
/// <see cref="Rotary.Rotate"/> in one kernel of the engine's own (<see cref="CudaModule"/>) forward and one backward, where
/// libtorch's ops take three and four: x' = x · cos + swap_halves(x) · sin± on the first rotary_dim dimensions (the rest
/// pass through), computed in f32 and rounded once, over x [batch, seq, heads, head_dim] as the projections give it.
/// Backward is the transposed rotation: dx = dy · cos + swap_halves(dy · sin±).
/// </summary>
internal sealed class RotaryKernel(Tensor x, Tensor cos, Tensor signedSin) : AutogradFunction
{
    private const uint Threads = 256;

    private static readonly CudaModule Kernels = new(CudaModule.Common + Source);

    private Tensor? savedCos, savedSin;

    /// <summary>Whether the kernel takes these: CUDA, compiled kernels on, bf16 or f32, tables of x's dtype a batch row
    /// each or one for all, an even rotary dimension.</summary>
    public static bool Applies(Tensor x, Tensor cos) =>
        x.Device.IsCuda && TorchRuntime.UseCompiledKernels && x.Dim == 4
        && (x.DType is DType.BFloat16 or DType.Float32) && cos.DType == x.DType && cos.Dim == 3
        && (cos.Size(0) == 1 || cos.Size(0) == x.Size(0)) && cos.Size(1) == x.Size(1) && cos.Size(2) % 2 == 0
        && cos.Size(2) <= x.Size(3) && x.NumElements > 0;

    protected override Tensor[] Forward()
    {
        savedCos = Save(cos.Contiguous());
        savedSin = Save(signedSin.Contiguous());
        return [Launch("forward", x.Contiguous())];
    }

    protected override Tensor?[] Backward(Tensor[] gradOutputs) => [Launch("backward", gradOutputs[0].Contiguous())];

    private Tensor Launch(string pass, Tensor input)
    {
        var (batch, seq, heads, dim) = (input.Size(0), input.Size(1), input.Size(2), input.Size(3));
        var rotary = savedCos!.Size(2);
        var output = Tensor.Empty([batch, seq, heads, dim], input.DType, input.Device);
        // A pack stays inside one half of the rotated dimensions: its width divides rotary_dim / 2 and head_dim.
        var width = Math.Min(CudaModule.PackWidth(input.DType, rotary / 2, input, output, savedCos, savedSin!),
            CudaModule.PackWidth(input.DType, dim, input));
        var packs = input.NumElements / width;
        var blocks = (uint)Math.Min((packs + Threads - 1) / Threads, 1L << 20);
        var tableBatchStride = savedCos.Size(0) == 1 ? 0 : seq * rotary;
        Kernels.Launch(CudaModule.KernelName($"rotary_{pass}", input.DType, width), input.Device, (blocks, 1, 1), Threads,
            input, savedCos, savedSin!, output, packs, seq, heads, dim, rotary, tableBatchStride);
        return output;
    }

    private const string Source = """
        // Pack p holds elements i … i + W − 1 of x [batch, seq, heads, dim], at (b, s, h, d). For d < rotary its partner
        // is d ± rotary / 2, the other half: forward out = x · cos[d] + x[partner] · sin±[d]; backward, with dy for x,
        // dx = dy · cos[d] + dy[partner] · sin±[partner].
        template <typename T, int W, bool BACKWARD>
        __device__ void rotate(const T* x, const T* cos, const T* sin, T* out, long long packs, long long seq,
                               long long heads, long long dim, long long rotary, long long table_batch_stride) {
          for (long long p = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; p < packs;
               p += static_cast<long long>(gridDim.x) * blockDim.x) {
            const long long i = p * W, d = i % dim, row = i / (heads * dim);
            const Pack<T, W> xs = load<T, W>(x + i);
            if (d >= rotary) { store<T, W>(out + i, xs); continue; }
            const long long half = rotary / 2, partner = d < half ? d + half : d - half;
            const long long table = (row / seq) * table_batch_stride + (row % seq) * rotary;
            const Pack<T, W> others = load<T, W>(x + i - d + partner);
            const Pack<T, W> c = load<T, W>(cos + table + d);
            const Pack<T, W> s = load<T, W>(sin + table + (BACKWARD ? partner : d));
            Pack<T, W> result;
            #pragma unroll
            for (int k = 0; k < W; k++)
              from_float(to_float(xs.v[k]) * to_float(c.v[k]) + to_float(others.v[k]) * to_float(s.v[k]), result.v[k]);
            store<T, W>(out + i, result);
          }
        }

        #define ROTARY(T, W, SUFFIX)                                                                                  \
          extern "C" __global__ void rotary_forward_##SUFFIX(const T* x, const T* cos, const T* sin, T* out,        \
              long long packs, long long seq, long long heads, long long dim, long long rotary, long long tbs) {    \
            rotate<T, W, false>(x, cos, sin, out, packs, seq, heads, dim, rotary, tbs);                             \
          }                                                                                                         \
          extern "C" __global__ void rotary_backward_##SUFFIX(const T* x, const T* cos, const T* sin, T* out,       \
              long long packs, long long seq, long long heads, long long dim, long long rotary, long long tbs) {    \
            rotate<T, W, true>(x, cos, sin, out, packs, seq, heads, dim, rotary, tbs);                              \
          }
        ROTARY(bf16, 8, bf16_x8)
        ROTARY(bf16, 1, bf16_x1)
        ROTARY(float, 4, f32_x4)
        ROTARY(float, 1, f32_x1)
        """;
}
