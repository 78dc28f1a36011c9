// Micro-benchmarks of the binding. Each prints one JSON line per measurement; bench/peer_torch.py
// measures the same things in PyTorch eager and bench/compare.sh sets them side by side.
//   dotnet run -c Release --project bench/LongRecipe.Bench -- matmul --device cpu --dtype f32 --sizes 256,512,1024
//   ... mlp --device cpu      ... overhead --device cpu      ... tokenize (TokenizeBenchmark.cs)
//   ... train --device cuda --preset 125m|1b|8b --seq 4096 [--checkpoint true] [--optimizer-state int8_blockwise]
//       [--memory-fraction 0.56] [--attention all|cudnn|flash] [--cuda-graph] [--no-jit-kernels] [--no-compiled-kernels] [--no-residual-norm-kernel] [--shared-input-linear] [--warmup 3] [--steps 10]
//       (peer: bench/peer_train.py; --no-jit-kernels composes SwiGLU from libtorch's ops instead of the run-time compiled kernel;
//       --no-compiled-kernels composes cross-entropy and rotary from libtorch's ops, TorchRuntime.UseCompiledKernels;
//       --no-residual-norm-kernel adds each residual update apart from the next RMSNorm, TorchRuntime.UseResidualNormKernel;
//       --shared-input-linear sums the gradient of the projections' shared input inside the matrix products, TorchRuntime.UseSharedInputLinear)
//   ... trainer --device cuda --preset 125m --seq 4096 [--cuda-graph] [--warmup 3] [--steps 10]   the engine's Trainer (TrainerRun.cs)
//   ... memory --device cuda --preset 1b --seqs 4096,8192 [--checkpoint true] [...]  one line per length (bench/memory.sh)
//   ... prefill --device cuda --preset 1b --seq 131072 [--chunk 8192] [--memory-fraction f] (peer: bench/peer_prefill.py)
//   ... recipe-steps [--model models/builtin] [--rounds 5]   the default recipe's two CPU step shapes, by phase
//   ... optim --optimizer-state f32|bf16_stochastic|int8_blockwise [--dtype bf16] [--params 100000000] [--steps 3]
using System.Diagnostics;
using System.Globalization;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Torch;

var options = Options.Parse(args);
if (options.Threads is { } threads) TorchRuntime.Threads = threads;
if (options.Attention != AttentionKernels.All) TorchRuntime.UseAttentionKernels(options.Attention);
if (args.Contains("--no-jit-kernels")) TorchRuntime.UseJitKernels = false;
if (args.Contains("--no-compiled-kernels")) TorchRuntime.UseCompiledKernels = false;
if (args.Contains("--no-residual-norm-kernel")) TorchRuntime.UseResidualNormKernel = false;
if (args.Contains("--shared-input-linear")) TorchRuntime.UseSharedInputLinear = true;
switch (options.Command)
{
    case "matmul": Benchmarks.MatMul(options); break;
    case "mlp": Benchmarks.Mlp(options); break;
    case "overhead": Benchmarks.Overhead(options); break;
    case "train": TrainStep.Throughput(options); break;
    case "trainer": TrainerRun.Run(options); break;
    case "memory": TrainStep.MemorySeries(options); break;
    case "prefill": Prefill.Run(options); break;
    case "optim": OptimizerStep.Run(options, long.Parse(Options.Value(args, "--params", "100000000"), CultureInfo.InvariantCulture)); break;
    case "tokenize": TokenizeBenchmark.Run(args); break;
    case "recipe-steps": RecipeSteps.Run(Options.Value(args, "--model", "models/builtin"), Options.Integer(args, "--rounds", 5)); break;
    default:
        Console.Error.WriteLine("usage: LongRecipe.Bench matmul|mlp|overhead|train|trainer|memory|prefill|optim|tokenize|recipe-steps [--device cpu|cuda] [--dtype f32|bf16] [--sizes 256,1024] [--threads N]");
        return 2;
}
return 0;

internal sealed record Options(string Command, Device Device, DType DType, long[] Sizes, int? Threads, string Preset, long Seq,
    bool Checkpoint, OptimizerState OptimizerState, double? MemoryFraction, int Warmup, int Steps, long[] Seqs, long Chunk,
    AttentionKernels Attention, bool CudaGraph)
{
    /// <summary>--attention: libtorch's own choice of attention kernel, or one fused kernel (with the unfused one for shapes it refuses).</summary>
    public static AttentionKernels ParseAttention(string name) => name switch
    {
        "all" => AttentionKernels.All,
        "cudnn" => AttentionKernels.Cudnn | AttentionKernels.Math,
        "flash" => AttentionKernels.Flash | AttentionKernels.Math,
        _ => throw new ArgumentException($"--attention: '{name}' is not all, cudnn or flash"),
    };

    public static string AttentionName(AttentionKernels kernels) =>
        kernels == AttentionKernels.All ? "all" : kernels.HasFlag(AttentionKernels.Cudnn) ? "cudnn" : "flash";

    /// <summary>The value after <paramref name="name"/> on the command line, or the fallback.</summary>
    public static string Value(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    public static int Integer(string[] args, string name, int fallback) => int.Parse(Value(args, name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    private static long[] Longs(string text) => [.. text.Split(',').Select(v => long.Parse(v, CultureInfo.InvariantCulture))];

    /// <summary>Every option the benchmarks read: a mistyped one must not measure the default in silence.</summary>
    private static readonly string[] Known =
    [
        "--device", "--dtype", "--sizes", "--threads", "--preset", "--seq", "--checkpoint", "--optimizer-state", "--memory-fraction",
        "--warmup", "--steps", "--seqs", "--chunk", "--attention", "--cuda-graph", "--no-jit-kernels", "--no-compiled-kernels",
        "--no-residual-norm-kernel", "--shared-input-linear", "--params", "--tokenizer", "--file", "--mb", "--model", "--rounds",
    ];

    public static Options Parse(string[] args)
    {
        if (args.Skip(1).FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal) && !Known.Contains(a)) is { } unknown)
            throw new ArgumentException($"unknown option {unknown}; the options are {string.Join(' ', Known)}");
        string Value(string name, string fallback) => Options.Value(args, name, fallback);
        var threads = Value("--threads", "");
        var fraction = Value("--memory-fraction", "");
        return new Options(
            args.Length > 0 ? args[0] : "",
            Device.Parse(Value("--device", "cpu")),
            DTypeExtensions.ParseDType(Value("--dtype", "f32")),
            Longs(Value("--sizes", "256,512,1024,2048")),
            threads == "" ? null : int.Parse(threads, CultureInfo.InvariantCulture),
            Value("--preset", "125m"),
            long.Parse(Value("--seq", "4096"), CultureInfo.InvariantCulture),
            Value("--checkpoint", "false") == "true",
            OptimizerStateNames.Parse(Value("--optimizer-state", "f32")),
            fraction == "" ? null : double.Parse(fraction, CultureInfo.InvariantCulture),
            Integer(args, "--warmup", 3),
            Integer(args, "--steps", 10),
            Longs(Value("--seqs", "4096,8192,16384,32768,65536,131072")),
            long.Parse(Value("--chunk", "8192"), CultureInfo.InvariantCulture),
            ParseAttention(Value("--attention", "all")),
            args.Contains("--cuda-graph"));
    }
}

internal static class Benchmarks
{
    /// <summary>C = A·B for n×n matrices: 2n³ flops per product.</summary>
    public static void MatMul(Options o)
    {
        using var generator = new Generator(0);
        foreach (var n in o.Sizes)
        {
            using var a = Tensor.Randn([n, n], generator, o.DType, o.Device);
            using var b = Tensor.Randn([n, n], generator, o.DType, o.Device);
            var seconds = TimePerCall(o.Device, minSeconds: 1.0, () =>
            {
                using var scope = DisposeScope.Enter();
                Functional.MatMul(a, b);
            });
            Report("matmul", o, $"\"n\":{n},\"seconds\":{seconds:E4},\"gflops\":{2.0 * n * n * n / seconds / 1e9:F2}");
        }
    }

    /// <summary>One training step of a 512→2048→512→10 SiLU MLP on a batch of 64: forward, cross-entropy, backward, AdamW.</summary>
    public static void Mlp(Options o)
    {
        using var generator = new Generator(0);
        long[][] shapes = [[2048, 512], [2048], [512, 2048], [512], [10, 512], [10]];
        List<Tensor> parameters;
        using (DisposeScope.Enter())
            parameters = shapes.Select(s => DisposeScope.Detach((Tensor.Randn(s, generator, DType.Float32, o.Device) * 0.02).RequiringGrad())).ToList();
        using var x = Tensor.Randn([64, 512], generator, DType.Float32, o.Device);
        using var y = Tensor.RandInt(0, 10, [64], generator, DType.Int64, o.Device);
        using var optimizer = new AdamW(parameters, new AdamWOptions(LearningRate: 1e-3));
        var seconds = TimePerCall(o.Device, minSeconds: 2.0, () =>
        {
            using var scope = DisposeScope.Enter();
            var h = Functional.Linear(x, parameters[0], parameters[1]).Silu();
            h = Functional.Linear(h, parameters[2], parameters[3]).Silu();
            var loss = Functional.CrossEntropy(Functional.Linear(h, parameters[4], parameters[5]), y);
            loss.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        });
        Report("mlp_step", o, $"\"seconds\":{seconds:E4},\"steps_per_s\":{1 / seconds:F1}");
        foreach (var p in parameters) p.Dispose();
    }

    /// <summary>
    /// The cost of one tiny operation (a + b on one-element tensors) including creating and
    /// disposing its result: what the binding adds over libtorch's own dispatch.
    /// </summary>
    public static void Overhead(Options o)
    {
        using var a = Tensor.Ones([1], o.DType, o.Device);
        using var b = Tensor.Ones([1], o.DType, o.Device);
        var seconds = TimePerCall(o.Device, minSeconds: 1.0, () =>
        {
            using var c = a.Add(b);
        });
        Report("tiny_add", o, $"\"us_per_call\":{seconds * 1e6:F3}");
    }

    /// <summary>Seconds per call: warm up, then repeat in growing batches until a batch lasts minSeconds.</summary>
    private static double TimePerCall(Device device, double minSeconds, Action call)
    {
        for (var i = 0; i < 3; i++) call();
        TorchRuntime.Synchronize(device);
        for (long count = 1; ; count *= 2)
        {
            var clock = Stopwatch.StartNew();
            for (long i = 0; i < count; i++) call();
            TorchRuntime.Synchronize(device);
            var elapsed = clock.Elapsed.TotalSeconds;
            if (elapsed >= minSeconds) return elapsed / count;
        }
    }

    private static void Report(string name, Options o, string fields) =>
        Console.WriteLine($"{{\"impl\":\"longrecipe\",\"bench\":\"{name}\",\"device\":\"{o.Device}\",\"dtype\":\"{o.DType.ShortName()}\",\"threads\":{TorchRuntime.Threads},{fields}}}");
}
