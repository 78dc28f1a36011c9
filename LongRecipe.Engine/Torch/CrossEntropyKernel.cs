namespace LongRecipe.Engine.Torch;

/// <summary>
/// Cross-entropy over the rows of logits [N, V] in two kernels of the engine's own (<see cref="CudaModule"/>): forward
/// reads each row once, as it is (bf16 or f32), and writes its loss and log Σ exp; backward writes (softmax − one-hot)
/// times the row's gradient in the logits' dtype. Both compute in f32, as F.cross_entropy over the logits cast to f32
/// does, without that f32 copy, the log-softmax autograd keeps of it, and the casts: at a 128k vocabulary those move six
/// times the bf16 logits' bytes. Gives each row's loss: 0 where the target is ignored, NaN where it is outside the
/// vocabulary (a fault on the GPU would end the process).
/// </summary>
internal sealed class CrossEntropyKernel(Tensor logits, Tensor targets, long ignoreIndex) : AutogradFunction
{
    private const uint Threads = 256;

    private static readonly CudaModule Kernels = new(CudaModule.Common + Source);

    private Tensor? savedLogits, savedTargets, logSumExp;

    /// <summary>Whether the kernels take these: CUDA, compiled kernels on, 2-D bf16 or f32 logits with i64 targets, one a row.</summary>
    public static bool Applies(Tensor logits, Tensor targets) =>
        logits.Device.IsCuda && TorchRuntime.UseCompiledKernels
        && logits.Dim == 2 && (logits.DType is DType.BFloat16 or DType.Float32) && logits.Size(0) > 0
        && targets.Dim == 1 && targets.DType == DType.Int64 && targets.Size(0) == logits.Size(0) && targets.Device == logits.Device;

    protected override Tensor[] Forward()
    {
        var (rows, vocab) = (logits.Size(0), logits.Size(1));
        savedLogits = Save(logits.Contiguous());
        savedTargets = Save(targets.Contiguous());
        var losses = Tensor.Empty([rows], DType.Float32, logits.Device);
        logSumExp = Save(Tensor.Empty([rows], DType.Float32, logits.Device));
        Kernels.Launch(CudaModule.KernelName("cross_entropy_forward", savedLogits.DType, Width(savedLogits)), logits.Device,
            ((uint)Math.Min(rows, 1 << 20), 1, 1), Threads, savedLogits, savedTargets, losses, logSumExp, rows, vocab, ignoreIndex);
        return [losses];
    }

    protected override Tensor?[] Backward(Tensor[] gradOutputs)
    {
        var (rows, vocab) = (savedLogits!.Size(0), savedLogits.Size(1));
        var gradLosses = gradOutputs[0].Contiguous();
        var grad = Tensor.Empty([rows, vocab], savedLogits.DType, savedLogits.Device);
        var width = Width(savedLogits);
        var perBlock = Threads * width;
        Kernels.Launch(CudaModule.KernelName("cross_entropy_backward", savedLogits.DType, width), savedLogits.Device,
            ((uint)((vocab + perBlock - 1) / perBlock), (uint)Math.Min(rows, 65_535), 1), Threads,
            savedLogits, savedTargets!, logSumExp!, gradLosses, grad, rows, vocab, ignoreIndex);
        return [grad];
    }

    private static long Width(Tensor logits) => CudaModule.PackWidth(logits.DType, logits.Size(1), logits);

    private const string Source = """
        __device__ __forceinline__ float negative_infinity() { return __int_as_float(0xff800000); }

        // (m, s) is a running max and Σ exp(x − m); fold adds one value, merge another pair.
        __device__ __forceinline__ void fold(float x, float& m, float& s) {
          if (x > m) { s = s * expf(m - x) + 1.0f; m = x; }
          else if (x != negative_infinity()) s += expf(x - m);  // a NaN goes into s
        }
        __device__ __forceinline__ void merge(float m2, float s2, float& m, float& s) {
          const float top = fmaxf(m, m2);
          if (top == negative_infinity()) { s += s2; return; }
          s = s * expf(m - top) + s2 * expf(m2 - top);
          m = top;
        }
        __device__ __forceinline__ void merge_warp(float& m, float& s) {
          for (int offset = 16; offset > 0; offset /= 2)
            merge(__shfl_xor_sync(0xffffffffu, m, offset), __shfl_xor_sync(0xffffffffu, s, offset), m, s);
        }

        // A block a row: losses[r] = lse[r] − x[r, t_r], lse[r] = log Σ_j exp(x[r, j]).
        template <typename T, int W>
        __device__ void forward(const T* logits, const long long* targets, float* losses, float* lse,
                                long long rows, long long vocab, long long ignore_index) {
          __shared__ float shared_m[32], shared_s[32];
          const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
          for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
            const T* x = logits + row * vocab;
            float m = negative_infinity(), s = 0.0f;
            for (long long j = static_cast<long long>(threadIdx.x) * W; j < vocab; j += static_cast<long long>(blockDim.x) * W) {
              const Pack<T, W> p = load<T, W>(x + j);
              #pragma unroll
              for (int k = 0; k < W; k++) fold(to_float(p.v[k]), m, s);
            }
            merge_warp(m, s);
            if (lane == 0) { shared_m[warp] = m; shared_s[warp] = s; }
            __syncthreads();
            if (warp == 0) {
              m = lane < warps ? shared_m[lane] : negative_infinity();
              s = lane < warps ? shared_s[lane] : 0.0f;
              merge_warp(m, s);
              if (lane == 0) {
                const float l = m + logf(s);
                const long long t = targets[row];
                lse[row] = l;
                losses[row] = t == ignore_index ? 0.0f
                    : t < 0 || t >= vocab ? __int_as_float(0x7fc00000) : l - to_float(x[t]);
              }
            }
            __syncthreads();
          }
        }

        // grad[r, j] = (exp(x[r, j] − lse[r]) − [j = t_r]) · grad_losses[r]; 0 on ignored rows.
        template <typename T, int W>
        __device__ void backward(const T* logits, const long long* targets, const float* lse, const float* grad_losses,
                                 T* grad, long long rows, long long vocab, long long ignore_index) {
          for (long long row = blockIdx.y; row < rows; row += gridDim.y) {
            const long long t = targets[row];
            const bool ignored = t == ignore_index;
            const float g = ignored ? 0.0f : grad_losses[row], l = lse[row];
            const T* x = logits + row * vocab;
            T* dx = grad + row * vocab;
            const long long step = static_cast<long long>(gridDim.x) * blockDim.x * W;
            for (long long j = (static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x) * W; j < vocab; j += step) {
              const Pack<T, W> p = load<T, W>(x + j);
              Pack<T, W> q;
              #pragma unroll
              for (int k = 0; k < W; k++)
                from_float(ignored ? 0.0f : (expf(to_float(p.v[k]) - l) - (j + k == t ? 1.0f : 0.0f)) * g, q.v[k]);
              store<T, W>(dx + j, q);
            }
          }
        }

        #define CROSS_ENTROPY(T, W, SUFFIX)                                                                        \
          extern "C" __global__ void cross_entropy_forward_##SUFFIX(const T* logits, const long long* targets,     \
              float* losses, float* lse, long long rows, long long vocab, long long ignore_index) {                \
            forward<T, W>(logits, targets, losses, lse, rows, vocab, ignore_index);                                \
          }                                                                                                        \
          extern "C" __global__ void cross_entropy_backward_##SUFFIX(const T* logits, const long long* targets,    \
              const float* lse, const float* grad_losses, T* grad, long long rows, long long vocab,                \
              long long ignore_index) {                                                                            \
            backward<T, W>(logits, targets, lse, grad_losses, grad, rows, vocab, ignore_index);                    \
          }
        CROSS_ENTROPY(bf16, 8, bf16_x8)
        CROSS_ENTROPY(bf16, 1, bf16_x1)
        CROSS_ENTROPY(float, 4, f32_x4)
        CROSS_ENTROPY(float, 1, f32_x1)
        """;
}
