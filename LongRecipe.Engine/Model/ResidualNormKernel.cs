using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>
/// (h + δ, RMSNorm(h + δ)) in one kernel of the engine's own (<see cref="CudaModule"/>) forward and one backward, where
/// libtorch's ops take an add and a norm each way and a third kernel backward to add the two gradients h + δ receives:
/// the sum is not read back to normalise it, nor its gradient to accumulate it. The sum rounds to the inputs' dtype, as
/// the add does; the norm computes in f32 and rounds once, as libtorch's fused RMSNorm does. Backward gives h and δ one
/// gradient, ∂(h + δ) plus the norm's, and the weight Σ_rows ∂y · x̂ from per-block partial sums.
/// </summary>
internal sealed class ResidualNormKernel(Tensor stream, Tensor delta, Tensor weight, double eps) : AutogradFunction(outputs: 2)
{
    // A block a row, a thread a 16-byte pack of it: a row of up to 1024 packs (8192 bf16, 4096 f32).
    private const long MaxThreads = 1024;

    // Blocks of the backward pass: each sums the weight's gradient over its rows, and libtorch adds the blocks' sums.
    private const long GradientBlocks = 512;

    private static readonly CudaModule Kernels = new(CudaModule.Common + Source);

    private Tensor? savedSum, savedWeight, rstd;

    /// <summary>Whether the kernels take these: CUDA, the kernel switched on, bf16 or f32 throughout, δ shaped as h, a
    /// weight over h's last dimension, which is whole 16-byte packs and at most 1024 of them.</summary>
    public static bool Applies(Tensor stream, Tensor delta, Tensor weight)
    {
        if (!(stream.Device.IsCuda && TorchRuntime.UseCompiledKernels && TorchRuntime.UseResidualNormKernel)) return false;
        if (stream.DType is not (DType.BFloat16 or DType.Float32) || delta.DType != stream.DType || weight.DType != stream.DType) return false;
        if (!delta.Shape.SequenceEqual(stream.Shape) || weight.Dim != 1 || stream.Dim == 0 || weight.Size(0) != stream.Size(-1)) return false;
        var (hidden, width) = (weight.Size(0), 16 / stream.DType.ElementSize());
        return stream.NumElements > 0 && hidden % width == 0 && hidden / width <= MaxThreads;
    }

    protected override Tensor[] Forward()
    {
        var (hidden, device, dtype) = (weight.Size(0), stream.Device, stream.DType);
        var rows = stream.NumElements / hidden;
        var (h, d) = (Aligned(stream.Contiguous()), Aligned(delta.Contiguous()));
        savedWeight = Save(Aligned(weight.Contiguous()));
        var sum = Tensor.Empty(stream.Shape, dtype, device);
        var normed = Tensor.Empty(stream.Shape, dtype, device);
        rstd = Save(Tensor.Empty([rows], DType.Float32, device));
        Kernels.Launch(Name("forward", dtype), device, ((uint)Math.Min(rows, 1L << 20), 1, 1), Threads(hidden, dtype),
            h, d, savedWeight, sum, normed, rstd, rows, hidden, BitConverter.DoubleToInt64Bits(eps));
        savedSum = Save(sum);
        return [sum, normed];
    }

    protected override Tensor?[] Backward(Tensor[] gradOutputs)
    {
        var (hidden, device, dtype) = (savedWeight!.Size(0), savedSum!.Device, savedSum.DType);
        var rows = savedSum.NumElements / hidden;
        var (gradSum, gradNormed) = (Aligned(gradOutputs[0].Contiguous()), Aligned(gradOutputs[1].Contiguous()));
        var grad = Tensor.Empty(savedSum.Shape, dtype, device);
        var blocks = Math.Min(rows, GradientBlocks);
        var partial = Tensor.Empty([blocks, hidden], DType.Float32, device);
        Kernels.Launch(Name("backward", dtype), device, ((uint)blocks, 1, 1), Threads(hidden, dtype),
            savedSum, savedWeight, rstd!, gradSum, gradNormed, grad, partial, rows, hidden);
        // h and δ get the same gradient; autograd adds into neither in place while both hold it. Each gradient handed back
        // is a handle autograd takes over, so δ's is a second handle to the same tensor (contiguous() of a contiguous
        // tensor is that tensor).
        return [grad, grad.Contiguous(), partial.Sum(0).To(dtype)];
    }

    private static string Name(string pass, DType dtype) =>
        CudaModule.KernelName($"residual_norm_{pass}", dtype, 16 / dtype.ElementSize());

    // Whole warps, enough for a pack a thread.
    private static uint Threads(long hidden, DType dtype) => (uint)((hidden / (16 / dtype.ElementSize()) + 31) / 32 * 32);

    // A tensor whose data does not start on a 16-byte boundary (a view into another's storage) is copied to one that does.
    private static Tensor Aligned(Tensor t) => ((KernelArgument)t).Value % 16 == 0 ? t : t.Clone();

    private const string Source = """
        // The sum over the block of each thread's v, returned to every thread.
        __device__ __forceinline__ float block_sum(float v, float* shared) {
          for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
          const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
          __syncthreads();  // the slots' readers from the last call are done
          if (lane == 0) shared[warp] = v;
          __syncthreads();
          v = lane < warps ? shared[lane] : 0.0f;
          for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
          return v;
        }

        // sum = h + δ (rounded), normed = sum · r · w (rounded once), r = 1 / √(mean(sum²) + ε) kept for backward.
        template <typename T, int W>
        __device__ void forward(const T* stream, const T* delta, const T* weight, T* sum, T* normed, float* rstd,
                                long long rows, long long hidden, double eps) {
          __shared__ float shared[32];
          const long long j = static_cast<long long>(threadIdx.x) * W;
          const bool active = j < hidden;
          Pack<T, W> w;
          if (active) w = load<T, W>(weight + j);
          for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
            const long long at = row * hidden + j;
            Pack<T, W> s;
            float squares = 0.0f;
            if (active) {
              const Pack<T, W> a = load<T, W>(stream + at), b = load<T, W>(delta + at);
              #pragma unroll
              for (int k = 0; k < W; k++) {
                from_float(to_float(a.v[k]) + to_float(b.v[k]), s.v[k]);
                const float x = to_float(s.v[k]);
                squares += x * x;
              }
              store<T, W>(sum + at, s);
            }
            const float r = rsqrtf(block_sum(squares, shared) / static_cast<float>(hidden) + static_cast<float>(eps));
            if (active) {
              Pack<T, W> y;
              #pragma unroll
              for (int k = 0; k < W; k++) from_float(to_float(s.v[k]) * r * to_float(w.v[k]), y.v[k]);
              store<T, W>(normed + at, y);
            }
            if (threadIdx.x == 0) rstd[row] = r;
          }
        }

        // With x̂ = x · r and g = ∂y · w: ∂x = r · (g − x̂ · mean(g · x̂)) + ∂sum; the weight's Σ ∂y · x̂ over this block's
        // rows goes to its row of grad_weight.
        template <typename T, int W>
        __device__ void backward(const T* sum, const T* weight, const float* rstd, const T* grad_sum,
                                 const T* grad_normed, T* grad, float* grad_weight, long long rows, long long hidden) {
          __shared__ float shared[32];
          const long long j = static_cast<long long>(threadIdx.x) * W;
          const bool active = j < hidden;
          Pack<T, W> w;
          if (active) w = load<T, W>(weight + j);
          float dw[W];
          #pragma unroll
          for (int k = 0; k < W; k++) dw[k] = 0.0f;
          for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
            const long long at = row * hidden + j;
            const float r = rstd[row];
            float x_hat[W], g[W], dot = 0.0f;
            if (active) {
              const Pack<T, W> x = load<T, W>(sum + at), dy = load<T, W>(grad_normed + at);
              #pragma unroll
              for (int k = 0; k < W; k++) {
                x_hat[k] = to_float(x.v[k]) * r;
                const float d = to_float(dy.v[k]);
                g[k] = d * to_float(w.v[k]);
                dot += g[k] * x_hat[k];
                dw[k] += d * x_hat[k];
              }
            }
            const float mean = block_sum(dot, shared) / static_cast<float>(hidden);
            if (active) {
              const Pack<T, W> through = load<T, W>(grad_sum + at);
              Pack<T, W> dx;
              #pragma unroll
              for (int k = 0; k < W; k++) from_float(r * (g[k] - x_hat[k] * mean) + to_float(through.v[k]), dx.v[k]);
              store<T, W>(grad + at, dx);
            }
          }
          if (active) {
            #pragma unroll
            for (int k = 0; k < W; k++) grad_weight[blockIdx.x * hidden + j + k] = dw[k];
          }
        }

        #define RESIDUAL_NORM(T, W, SUFFIX)                                                                        \
          extern "C" __global__ void residual_norm_forward_##SUFFIX(const T* stream, const T* delta,               \
              const T* weight, T* sum, T* normed, float* rstd, long long rows, long long hidden, double eps) {     \
            forward<T, W>(stream, delta, weight, sum, normed, rstd, rows, hidden, eps);                            \
          }                                                                                                        \
          extern "C" __global__ void residual_norm_backward_##SUFFIX(const T* sum, const T* weight,                \
              const float* rstd, const T* grad_sum, const T* grad_normed, T* grad, float* grad_weight,             \
              long long rows, long long hidden) {                                                                  \
            backward<T, W>(sum, weight, rstd, grad_sum, grad_normed, grad, grad_weight, rows, hidden);             \
          }
        RESIDUAL_NORM(bf16, 8, bf16_x8)
        RESIDUAL_NORM(float, 4, f32_x4)
        """;
}
