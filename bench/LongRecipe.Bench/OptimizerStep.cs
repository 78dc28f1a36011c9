using System.Diagnostics;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Torch;

/// <summary>
/// AdamW's state and step time for each <see cref="OptimizerState"/> on one set of parameters: 8B-shaped
/// matrices (1024 × 4096, 4096 × 4096, 14336 × 4096) repeated to <c>--params</c> elements, in the model's dtype
/// (<c>--dtype</c>), random gradients. Per state: the bytes its tensors hold per parameter (libtorch's own sizes
/// of the tensors it allocated), and the median time of the steps after the first. The process's resident set
/// says little here: glibc keeps freed pages (Native.Heap.cs), so the state lands in memory that building the
/// parameters freed, and a step's temporaries (a chunk of 8M elements at a time) add a constant on top.
/// </summary>
internal static class OptimizerStep
{
    public static void Run(Options o, long elements)
    {
        long[][] shapes = [[1024, 4096], [4096, 4096], [14336, 4096]];
        using var generator = new Generator(0);
        var parameters = new List<Tensor>();
        for (long total = 0, i = 0; total < elements; i++)
        {
            var shape = shapes[i % shapes.Length];
            using var scope = DisposeScope.Enter();
            parameters.Add(DisposeScope.Detach(Tensor.Randn(shape, generator).Mul(0.02).To(o.DType).RequiringGrad()));
            total += shape[0] * shape[1];
        }
        var count = parameters.Sum(p => p.NumElements);
        foreach (var p in parameters)
            using (var scope = DisposeScope.Enter())
                p.Grad = DisposeScope.Detach(Tensor.Randn(p.Shape, generator).Mul(1e-3).To(o.DType));

        using var optimizer = new AdamW(parameters, new AdamWOptions(LearningRate: 1e-5, State: o.OptimizerState));
        optimizer.Step();
        var times = new List<double>();
        for (var i = 0; i < o.Steps; i++)
        {
            var clock = Stopwatch.StartNew();
            optimizer.Step();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        Console.WriteLine($"{{\"impl\":\"longrecipe\",\"bench\":\"optimizer_step\",\"device\":\"{o.Device}\",\"dtype\":\"{o.DType.ShortName()}\"," +
            $"\"optimizer_state\":\"{o.OptimizerState.Name()}\",\"params\":{count},\"threads\":{TorchRuntime.Threads}," +
            $"\"state_bytes_per_param\":{(double)optimizer.StateBytes / count:F4}," +
            $"\"step_seconds\":{times[times.Count / 2]:F3},\"params_per_s\":{count / times[times.Count / 2]:F0}}}");
        foreach (var p in parameters) p.Dispose();
    }
}
