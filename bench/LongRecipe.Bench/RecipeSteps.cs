using System.Diagnostics;
using System.Globalization;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Torch;

/// <summary>
/// The default recipe's two training shapes on the built-in model (f32, CPU): the extend stage's 2 × 304
/// tokens and the anneal stage's 1 × 1024, each step timed by phase (forward, loss, backward, clip,
/// optimizer). The shapes alternate round by round, so a machine whose load changes slows both alike;
/// medians over the rounds are printed as one JSON line per shape.
/// </summary>
internal static class RecipeSteps
{
    public static void Run(string modelDirectory, int rounds)
    {
        using var loaded = PretrainedModel.Load(modelDirectory, Device.Cpu, DType.Float32);
        using var model = loaded.WithConfig(loaded.Config with { MaxPositionEmbeddings = 1024 });
        foreach (var p in model.Parameters.Tensors) p.RequiresGrad = true;
        using var optimizer = new AdamW(model.Parameters.Tensors, new AdamWOptions(LearningRate: 1e-5));
        using var generator = new Generator(0);
        (string Name, int Batch, int Length)[] shapes = [("extend", 2, 304), ("anneal", 1, 1024)];
        var phases = new[] { "forward", "loss", "backward", "clip", "optimizer", "step", "cpu", "faults" };
        var samples = shapes.ToDictionary(s => s.Name, _ => phases.ToDictionary(p => p, _ => new List<double>()));

        for (var round = -1; round < rounds; round++)
            foreach (var (name, batch, length) in shapes)
            {
                var times = Step(model, optimizer, generator, batch, length);
                if (round < 0) continue;
                for (var i = 0; i < phases.Length; i++) samples[name][phases[i]].Add(times[i]);
            }

        foreach (var (name, batch, length) in shapes)
        {
            var medians = phases.ToDictionary(p => p, p => Median(samples[name][p]));
            var fields = string.Join(",", phases[..^1].Select(p => $"\"{p}_ms\":{medians[p] * 1e3:F1}")) + $",\"page_faults\":{medians["faults"]:F0}";
            Console.WriteLine($"{{\"bench\":\"recipe_step\",\"shape\":\"{name}\",\"batch\":{batch},\"length\":{length},\"threads\":{TorchRuntime.Threads}," +
                $"\"rounds\":{rounds},{fields},\"tokens_per_s\":{batch * length / medians["step"]:F0}}}");
        }
    }

    /// <summary>One training step on random tokens; seconds per phase, the whole step, the process's CPU seconds and its minor page faults.</summary>
    private static double[] Step(LlamaModel model, AdamW optimizer, Generator generator, int batch, int length)
    {
        using var scope = DisposeScope.Enter();
        var vocab = model.Config.VocabSize;
        var ids = Tensor.RandInt(0, vocab, [batch, length], generator);
        var positions = Tensor.Arange(length).Unsqueeze(0).Expand(batch, length).Contiguous();
        var targets = Tensor.RandInt(0, vocab, [batch, length], generator);
        var (cpu, faults) = (Process.GetCurrentProcess().TotalProcessorTime, MinorFaults());
        var clock = Stopwatch.StartNew();
        var marks = new List<double>();
        void Mark() => marks.Add(clock.Elapsed.TotalSeconds);

        var hidden = model.Hidden(ids, positions);
        Mark();
        var loss = LanguageModelLoss.CrossEntropy(model, hidden, targets);
        Mark();
        loss.Backward();
        Mark();
        GradientClipping.ClipGradNorm(model.Parameters.Tensors, 1.0);
        Mark();
        optimizer.Step();
        optimizer.ZeroGrad();
        Mark();
        var phases = marks.Select((t, i) => t - (i == 0 ? 0 : marks[i - 1])).ToList();
        phases.Add(marks[^1]);
        phases.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
        phases.Add(MinorFaults() - faults);
        return [.. phases];
    }

    /// <summary>Minor page faults of the process so far: each fresh page a large allocation touches costs one.</summary>
    private static long MinorFaults()
    {
        // /proc/self/stat: "pid (comm) state ..." with minflt the 10th field; comm may hold spaces, so count after ')'.
        var text = File.ReadAllText("/proc/self/stat");
        return long.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[7], CultureInfo.InvariantCulture);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
