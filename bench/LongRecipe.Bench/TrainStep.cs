using System.Diagnostics;
using System.Globalization;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Torch;

/// <summary>
/// One Llama training step in bf16 (forward, chunked f32 cross-entropy, backward, AdamW with the chosen
/// state), random init and random tokens from a fixed seed — the config and data of bench/peer_train.py.
/// MFU counts 6·N·tokens (N: the weights that multiply) plus causal attention, 6·L·d·T², over the H100's
/// (and H200's) 989 TFLOP/s dense bf16. On the CPU (tiny shapes, to try the commands) the model is f32 and
/// memory is the process's resident high-water mark instead of the CUDA allocator's peak.
/// </summary>
internal sealed class TrainStep : IDisposable
{
    private readonly Options o;
    private readonly LlamaModel model;
    private readonly AdamW optimizer;

    private TrainStep(Options o)
    {
        this.o = o;
        if (o.Device.IsCuda && o.MemoryFraction is { } fraction) TorchRuntime.CapCudaMemory(o.Device.Index, fraction);
        model = LlamaModel.Initialize(Config(o.Preset), seed: 0, o.Device.IsCuda ? DType.BFloat16 : DType.Float32, o.Device);
        model.ActivationCheckpointing = o.Checkpoint;
        foreach (var p in model.Parameters.Tensors) p.RequiresGrad = true;
        optimizer = new AdamW(model.Parameters.Tensors, new AdamWOptions(LearningRate: 1e-4, State: o.OptimizerState));
    }

    public static LlamaConfig Config(string preset) => preset switch
    {
        "tiny" => LlamaConfig.Tiny(maxPositionEmbeddings: 131072),
        "125m" => LlamaConfig.Llama125M(),
        "1b" => LlamaConfig.Llama1B(),
        "8b" => LlamaConfig.Llama8B(),
        _ => throw new ArgumentException($"unknown preset '{preset}' (tiny, 125m, 1b or 8b)"),
    };

    /// <summary>`train`: warm-up steps, then the mean time of <see cref="Options.Steps"/> steps at <see cref="Options.Seq"/> tokens; one JSON line.</summary>
    public static void Throughput(Options o)
    {
        using var bench = new TrainStep(o);
        var (seconds, loss) = bench.Time(o.Seq, o.Warmup, o.Steps);
        Console.WriteLine(bench.Row("train_step", o.Seq, seconds, loss));
    }

    /// <summary>
    /// `memory`: the peak memory of a training step at each of <see cref="Options.Seqs"/> (ascending), one JSON line each,
    /// on one model. A length that does not fit reports "oom", and so do the longer ones, without trying.
    /// </summary>
    public static void MemorySeries(Options o)
    {
        using var bench = new TrainStep(o);
        var fits = true;
        foreach (var seq in o.Seqs)
        {
            if (fits)
            {
                try
                {
                    // One step each, no warm-up (its time is a cold step's): the peak is what matters here.
                    var (seconds, loss) = bench.Time(seq, warmup: 0, steps: 1);
                    Console.WriteLine(bench.Row("memory", seq, seconds, loss));
                    continue;
                }
                catch (TorchException e) when (TorchRuntime.IsOutOfMemory(e))
                {
                    bench.optimizer.ZeroGrad();
                    if (o.Device.IsCuda) TorchRuntime.EmptyCudaCache();
                    fits = false;
                }
            }
            Console.WriteLine($"{{\"impl\":\"longrecipe\",\"bench\":\"memory\",\"preset\":\"{o.Preset}\",\"seq\":{seq},{Setup(bench.o)},\"oom\":true}}");
        }
    }

    /// <summary>
    /// Seconds per step and the last loss; the memory peak is reset after the warm-up. With --cuda-graph the step is
    /// recorded once after the warm-up (a CUDA graph) and the timed steps replay it: each replay trains one step,
    /// and its loss is read after it as the eager step's is.
    /// </summary>
    private (double Seconds, double Loss) Time(long seq, int warmup, int steps)
    {
        using var generator = new Generator(0);
        using var ids = Tensor.RandInt(0, model.Config.VocabSize, [1, seq], generator, DType.Int64, o.Device);
        using var positions = Tensor.Arange(seq, device: o.Device).Unsqueeze(0);
        // A recorded step takes the rotary table made before it: recording cannot copy the frequencies to the GPU.
        // The eager step makes it each step, as transformers does.
        var table = o.CudaGraph ? Rotary.CosSin(model.Config, positions, model.DType) : default;
        using var cos = table.Cos;
        using var sin = table.Sin;
        Tensor Loss()
        {
            using var scope = DisposeScope.Enter();
            var hidden = (o.CudaGraph ? model.Hidden(ids, table) : model.Hidden(ids, positions)).Narrow(1, 0, seq - 1);
            var loss = LanguageModelLoss.CrossEntropy(model, hidden, ids.Narrow(1, 1, seq - 1));
            loss.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
            return DisposeScope.Detach(loss);
        }
        double Step()
        {
            using var loss = Loss();
            return loss.ToDouble();
        }

        for (var i = 0; i < warmup; i++) Step();
        TorchRuntime.Synchronize(o.Device);
        // Before recording: the step's memory is taken while it is recorded, into the graph's pool, and kept.
        if (o.Device.IsCuda) TorchRuntime.ResetCudaPeak(o.Device.Index);
        Tensor? recordedLoss = null;
        using var graph = o.CudaGraph ? CudaGraph.Capture(() => recordedLoss = Loss()) : null;
        // Recording runs nothing (it waits for the device before it starts), so the clock can start at once.
        using var keptLoss = recordedLoss;
        var clock = Stopwatch.StartNew();
        var last = 0.0;
        for (var i = 0; i < steps; i++)
        {
            if (graph is null)
            {
                last = Step();
                continue;
            }
            graph.Replay();
            last = keptLoss!.ToDouble();
        }
        TorchRuntime.Synchronize(o.Device);
        return (clock.Elapsed.TotalSeconds / steps, last);
    }

    /// <summary>The row's description of the run's settings, shared with the trainer benchmark's rows.</summary>
    public static string Setup(Options o) =>
        $"\"checkpoint\":{(o.Checkpoint ? "true" : "false")},\"optimizer_state\":\"{o.OptimizerState.Name()}\"," +
        $"\"attention\":\"{Options.AttentionName(o.Attention)}\",\"cuda_graph\":{(o.CudaGraph ? "true" : "false")},\"jit_kernels\":{(TorchRuntime.UseJitKernels ? "true" : "false")},\"compiled_kernels\":{(TorchRuntime.UseCompiledKernels ? "true" : "false")},\"residual_norm_kernel\":{(TorchRuntime.UseResidualNormKernel ? "true" : "false")},\"shared_input_linear\":{(TorchRuntime.UseSharedInputLinear ? "true" : "false")}," +
        $"\"memory_cap\":{(o.MemoryFraction is { } f ? f.ToString("F4", CultureInfo.InvariantCulture) : "null")}";

    /// <summary>(Weights that multiply, FLOPs of a training step on one sequence of <paramref name="seq"/> tokens), as the class summary counts them.</summary>
    public static (long Weights, double Flops) StepFlops(LlamaModel model, long seq)
    {
        var config = model.Config;
        // A tied embedding counts once, as the lm_head; an untied input table is a lookup.
        var n = model.Parameters.ElementCount - (config.TieWordEmbeddings ? 0 : model.Parameters["model.embed_tokens.weight"].NumElements);
        return (n, 6.0 * n * seq + 6.0 * config.NumHiddenLayers * config.HiddenSize * seq * seq);
    }

    private string Row(string name, long seq, double seconds, double loss)
    {
        var (n, flops) = StepFlops(model, seq);
        var (peak, measure) = o.Device.IsCuda
            ? (TorchRuntime.CudaMemory(o.Device.Index).Peak, "cuda_peak_allocated")
            : (ResidentHighWater(), "cpu_resident_high_water");
        const double GiB = 1 << 30;
        return $"{{\"impl\":\"longrecipe\",\"bench\":\"{name}\",\"preset\":\"{o.Preset}\",\"seq\":{seq},{Setup(o)},\"params\":{n}," +
            $"\"seconds\":{seconds:E4},\"tokens_per_s\":{seq / seconds:F1},\"mfu\":{flops / seconds / 989e12:F4},\"peak_gib\":{peak / GiB:F2}," +
            $"\"memory\":\"{measure}\",\"state_gib\":{optimizer.StateBytes / GiB:F2},\"loss\":{loss:F4}}}";
    }

    /// <summary>The process's peak resident set (VmHWM in /proc/self/status), in bytes.</summary>
    private static long ResidentHighWater()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        model.Dispose();
    }
}
