using System.Diagnostics;
using System.Text.Json;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

/// <summary>
/// `trainer`: the engine's <see cref="Trainer"/>, what a researcher's run executes, on random tokens: on CUDA a bf16 model
/// (with f32 master weights under f32 AdamW moments), clipping at 1, one sequence of --seq tokens a step; the train
/// benchmark's settings (--optimizer-state, --checkpoint, --memory-fraction, --attention) apply, and --cuda-graph turns on
/// <see cref="TrainerOptions.CudaGraph"/>. The steps after --warmup are timed between their step events; one
/// JSON line. The bare step of `train` (<see cref="TrainStep"/>) is what it is compared with: the trainer adds its
/// schedule, clipping, master copies, skip checks and events. The run's last checkpoint is written after the timing.
/// </summary>
internal static class TrainerRun
{
    public static void Run(Options o)
    {
        if (o.Device.IsCuda && o.MemoryFraction is { } fraction) TorchRuntime.CapCudaMemory(o.Device.Index, fraction);
        var config = TrainStep.Config(o.Preset);
        var dtype = o.Device.IsCuda ? DType.BFloat16 : DType.Float32;
        using var model = LlamaModel.Initialize(config, seed: 0, dtype, o.Device);
        var steps = o.Warmup + o.Steps;
        var options = new TrainerOptions
        {
            Steps = steps, MicroBatchSize = 1, GradientAccumulation = 1, LearningRate = 1e-4, WarmupSteps = 0, ComputeDType = dtype,
            OptimizerState = o.OptimizerState, ActivationCheckpointing = o.Checkpoint, CudaGraph = o.CudaGraph, CheckpointEvery = steps,
            KeepCheckpoints = 1,
        };
        var folder = Directory.CreateTempSubdirectory("longrecipe-trainer-bench-");
        try
        {
            var row = $"\"impl\":\"longrecipe\",\"bench\":\"trainer\",\"preset\":\"{o.Preset}\",\"seq\":{o.Seq},{TrainStep.Setup(o)}";
            void Failed(string error) => Console.WriteLine($"{{{row},\"failed\":true,\"error\":{JsonSerializer.Serialize(error)}}}");
            Trainer trainer;
            try
            {
                trainer = new Trainer(model, new RandomTokens(config.VocabSize, checked((int)o.Seq)), options, folder.FullName);
            }
            catch (ArgumentException e)
            {
                Failed(e.Message);
                return;
            }
            var clock = new Stopwatch();
            if (o.Warmup == 0) clock.Start();
            var timed = new List<StepEvent>();
            var recorded = false;
            // A step's event comes once its loss is read back, so the time between the events of the last warm-up step
            // and the last step is that of the timed steps; the checkpoint after the last step is not in it.
            var outcome = trainer.Run(e =>
            {
                if (e is LogEvent { Message: var message } && message.Contains("recorded as a CUDA graph", StringComparison.Ordinal)) recorded = true;
                if (e is not StepEvent s) return;
                if (s.Step == o.Warmup) clock.Start();
                if (s.Step <= o.Warmup) return;
                timed.Add(s);
                if (s.Step == steps) clock.Stop();
            });
            if (outcome.End != TrainingEnd.Completed || timed.Count == 0)
            {
                Failed(outcome.Error ?? "no timed steps");
                return;
            }
            var perStep = clock.Elapsed.TotalSeconds / timed.Count;
            var (n, flops) = TrainStep.StepFlops(model, o.Seq);
            const double GiB = 1 << 30;
            Console.WriteLine($"{{{row},\"params\":{n},\"seconds\":{perStep:E4},\"tokens_per_s\":{o.Seq / perStep:F1},\"mfu\":{flops / perStep / 989e12:F4}," +
                $"\"peak_gib\":{timed.Max(s => s.MemoryBytes) / GiB:F2},\"loss\":{timed[^1].Loss:F4},\"skipped\":{trainer.SkippedSteps}," +
                $"\"recorded\":{(recorded ? "true" : "false")}}}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Uniform random tokens, the same for a sample index on every run; positions 0 … L−1.</summary>
    private sealed class RandomTokens(int vocab, int length) : IBatchSource
    {
        public TrainingBatch Get(long firstSample, int count)
        {
            var random = new Random(unchecked((int)firstSample));
            var tokens = new long[count * length];
            for (var i = 0; i < tokens.Length; i++) tokens[i] = random.Next(vocab);
            var positions = new long[tokens.Length];
            var targets = new long[tokens.Length];
            for (var i = 0; i < tokens.Length; i++)
            {
                positions[i] = i % length;
                targets[i] = i % length + 1 < length ? tokens[i + 1] : TrainingBatch.Ignore;
            }
            return new TrainingBatch(count, length, tokens, positions, targets);
        }
    }
}
