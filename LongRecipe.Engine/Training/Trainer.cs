using System.Diagnostics;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Training;

/// <summary>A run stopped on purpose with a message for the researcher (too many non-finite steps, say).</summary>
internal sealed class TrainingAbortedException(string message) : Exception(message);

/// <summary>
/// Trains a model on one device: setup (masters, optimizer, resume) → one loop of steps (forward,
/// backward, clip, update, log, checkpoint) → cleanup. Each step is a pure function of its number
/// and the state before it, so a run resumed from a checkpoint continues with the losses the
/// uninterrupted run has. A step whose loss or gradient norm is not finite is skipped and counted; too many
/// in all, or <see cref="TrainerOptions.MaxConsecutiveSkippedSteps"/> in a row, or a run too short for that whose last
/// steps are skipped (a diverged run, <see cref="TrainerOptions.Divergence"/>), end it as Failed with the checkpoints
/// before the streak kept; an allocation that does not fit ends the run as Failed
/// naming the sequence length and batch size, and the process (and the model) stays usable; a micro-batch whose logits alone exceed the device's
/// memory fails so before anything is allocated. Cancelling finishes the current step, saves a
/// checkpoint and ends as Cancelled. Steps, checkpoints and warnings go to an event sink as they happen;
/// how the run ended is the returned <see cref="TrainingOutcome"/>, for the caller to report. With
/// <see cref="TrainerOptions.CudaGraph"/> each step after the first of its shape replays a recording of it
/// (<see cref="RecordedStep"/>), the same computation without the host's work for each kernel.
/// </summary>
public sealed class Trainer
{
    private readonly LlamaModel model;
    private readonly IBatchSource data;
    private readonly string runFolder;
    private readonly string stage;
    private readonly bool resume;
    private readonly List<double> losses = [];

    /// <param name="model">The model to train, in the options' compute dtype, on the device to train on.</param>
    /// <param name="runFolder">Where the checkpoints go (&lt;run&gt;/checkpoints/step-N/).</param>
    /// <param name="resume">Continue from the newest checkpoint in the run folder (a run folder holding checkpoints must be resumed).</param>
    public Trainer(LlamaModel model, IBatchSource data, TrainerOptions options, string runFolder, string stage = "train", bool resume = false)
    {
        Options = options.Validate();
        if (model.DType != options.ComputeDType)
            throw new ArgumentException(
                $"the model is {model.DType.ShortName()} but ComputeDType is {options.ComputeDType.ShortName()}; load or convert it to that dtype", nameof(model));
        if (Options.CudaGraph && !model.Device.IsCuda)
            throw new ArgumentException($"CudaGraph records the step on a CUDA device, and the model is on {model.Device}", nameof(options));
        if (Options.CudaGraph && !FusedAdamW.TakesLearningRateOnDevice)
            throw new ArgumentException("CudaGraph needs libtorch 2.3 or newer (AdamW's fused kernel reading its learning rate on the device)", nameof(options));
        (this.model, this.data, this.runFolder, this.stage, this.resume) = (model, data, runFolder, stage, resume);
    }

    public TrainerOptions Options { get; }

    /// <summary>Steps done so far, those of a resumed checkpoint included.</summary>
    public long Step { get; private set; }

    /// <summary>Every step's mean token loss so far (NaN where a step was skipped), resumed ones included.</summary>
    public IReadOnlyList<double> Losses => losses;

    public int SkippedSteps { get; private set; }

    /// <summary>Input tokens trained on so far.</summary>
    public long Tokens { get; private set; }

    /// <summary>Runs on the calling thread, which it holds until the end, writing steps, checkpoints and warnings to <paramref name="events"/>.</summary>
    public TrainingOutcome Run(EventSink events, CancellationToken cancel = default)
    {
        // ---- setup ----
        var options = Options;
        var device = model.Device;
        var parameters = model.Parameters.Tensors;
        var requiredGrad = parameters.Select(p => p.RequiresGrad).ToArray();
        using var master = options.ComputeDType == DType.Float32 || options.OptimizerState != OptimizerState.F32 ? null : MasterCopy(model.Parameters);
        var trained = master?.Tensors ?? parameters;
        using var optimizer = new AdamW(trained, new AdamWOptions(options.LearningRate, options.Beta1, options.Beta2, options.Epsilon,
            options.WeightDecay, options.OptimizerState, options.Seed));
        var schedule = options.Schedule;
        var clipNorm = options.ClipNorm ?? double.PositiveInfinity;
        var previousCheckpointing = model.ActivationCheckpointing;
        var lastSaved = 0L;
        var (length, batch) = (0, options.MicroBatchSize);
        RecordedStep? recorded = null;
        var recording = options.CudaGraph;

        string OutOfMemory(string why) => $"out of memory at step {Step + 1}, sequence length {length}, micro-batch size {batch} on {device}: {why}";

        void Save()
        {
            var path = Checkpoints.Save(runFolder, new TrainerState(Step, Tokens, SkippedSteps, losses.ToList(), options), model, master,
                optimizer, options.KeepCheckpoints);
            lastSaved = Step;
            events(new CheckpointEvent(DateTimeOffset.UtcNow, stage, Step, path));
        }

        // Forward and backward of each micro-batch, clipping, and the update unless the loss or the norm is not finite.
        (double Loss, double Norm) EagerStep(List<TrainingBatch> batches, double targets, double lr)
        {
            double loss = 0;
            foreach (var b in batches)
            {
                (length, batch) = (b.Length, b.BatchSize);
                var ids = Tensor.FromArray(b.InputIds, [b.BatchSize, b.Length], device: device);
                var positions = Tensor.FromArray(b.PositionIds, [b.BatchSize, b.Length], device: device);
                var labels = Tensor.FromArray(b.Targets, [b.BatchSize, b.Length], device: device);
                // Each micro-batch's mean, weighted by its share of the step's targets: the step's loss is the mean over all of them.
                var microLoss = LanguageModelLoss.CrossEntropy(model, model.Hidden(ids, positions), labels);
                var weight = b.TargetCount / targets;
                (microLoss * weight).Backward();
                loss += microLoss.ToDouble() * weight;
            }
            if (master is not null) GradientsToMaster(parameters, master.Tensors);
            var norm = GradientClipping.ClipGradNorm(trained, clipNorm);
            if (double.IsFinite(loss) && double.IsFinite(norm))
            {
                optimizer.LearningRate = lr;
                optimizer.Step();
                if (master is not null) WeightsFromMaster(parameters, master.Tensors);
            }
            return (loss, norm);
        }

        // The same step recorded as a CUDA graph and replayed (TrainerOptions.CudaGraph); eager where libtorch cannot record it.
        (double Loss, double Norm) ReplayedStep(List<TrainingBatch> batches, double targets, double lr, long step)
        {
            // A step of another shape than the recorded one gets a recording of its own.
            if (recorded?.Fits(batches) != true)
            {
                recorded?.Dispose();
                recorded = new RecordedStep(model, master?.Tensors, optimizer, clipNorm, batches);
            }
            try
            {
                var wasRecorded = recorded.IsRecorded;
                var (loss, norm) = recorded.Run(batches, lr);
                if (double.IsFinite(loss) && double.IsFinite(norm)) optimizer.CountStep();
                if (!wasRecorded && recorded.IsRecorded)
                    events(new LogEvent(DateTimeOffset.UtcNow, stage, RunLogLevel.Information,
                        $"step {step} recorded as a CUDA graph; the steps of its shape after it replay the recording"));
                return (loss, norm);
            }
            catch (RecordingFailedException e)
            {
                recorded.Dispose();
                (recording, recorded) = (false, null);
                events(new LogEvent(DateTimeOffset.UtcNow, stage, RunLogLevel.Warning,
                    $"step {step}: the step could not be recorded as a CUDA graph ({e.Message}); the run goes on without recording"));
                return EagerStep(batches, targets, lr);
            }
        }

        try
        {
            foreach (var p in parameters) p.RequiresGrad = true;
            model.ActivationCheckpointing = options.ActivationCheckpointing;
            TorchRuntime.ManualSeed(options.Seed);
            Checkpoints.RemoveLeftovers(runFolder);
            Restore(master, optimizer, events);
            lastSaved = Step;
            // Skipped steps in a row so far: a resumed run's streak goes on from its stored losses (NaN where skipped).
            var streak = losses.Count - 1 - losses.FindLastIndex(l => !double.IsNaN(l));

            // ---- the loop: forward, backward, clip, update, log, checkpoint ----
            var clock = Stopwatch.StartNew();
            var firstStep = Step;
            while (Step < options.Steps)
            {
                if (cancel.IsCancellationRequested)
                {
                    if (Step > lastSaved) Save();
                    return TrainingOutcome.Cancelled;
                }
                var step = Step + 1;
                var stepStart = clock.Elapsed;
                if (device.IsCuda) TorchRuntime.ResetCudaPeak(device.Index);
                var batches = Enumerable.Range(0, options.GradientAccumulation)
                    .Select(micro => data.Get(((step - 1) * options.GradientAccumulation + micro) * options.MicroBatchSize, options.MicroBatchSize))
                    .ToList();
                double targets = batches.Sum(b => b.TargetCount);
                if (targets == 0) throw new TrainingAbortedException($"step {step} has no targets to predict (every target is {TrainingBatch.Ignore})");
                foreach (var b in batches)
                {
                    (length, batch) = (b.Length, b.BatchSize);
                    // Refused before anything is allocated: a host that overcommits would grant it, then kill the process.
                    if (MemoryBounds.TrainingProblem(model.Config, batch, length, model.ActivationCheckpointing, device) is { } problem)
                        throw new TrainingAbortedException(OutOfMemory(problem));
                }
                var lr = schedule.At(step);
                using (var scope = DisposeScope.Enter())
                {
                    var (loss, norm) = recording ? ReplayedStep(batches, targets, lr, step) : EagerStep(batches, targets, lr);
                    if (!(double.IsFinite(loss) && double.IsFinite(norm)))
                    {
                        streak++;
                        if (++SkippedSteps > options.MaxSkippedSteps)
                            throw new TrainingAbortedException(
                                $"step {step}: loss {loss} / gradient norm {norm} is not finite, and that makes {SkippedSteps} skipped steps, " +
                                $"more than MaxSkippedSteps ({options.MaxSkippedSteps}); lower the learning rate or check the data{Kept(lastSaved)}");
                        if (options.Divergence(step, streak, SkippedSteps) is { } diverged)
                            throw new TrainingAbortedException(
                                $"step {step}: loss {loss} / gradient norm {norm} is not finite, {diverged}: training diverged; lower the learning rate " +
                                $"(peak {options.LearningRate:G3}, {lr:G3} at this step){Kept(lastSaved)}");
                        events(new LogEvent(DateTimeOffset.UtcNow, stage, RunLogLevel.Warning,
                            $"step {step} skipped: loss {loss}, gradient norm {norm} ({SkippedSteps} of at most {options.MaxSkippedSteps})"));
                    }
                    else streak = 0;
                    ClearGradients(parameters, master?.Tensors);
                    Step = step;
                    losses.Add(double.IsFinite(loss) && double.IsFinite(norm) ? loss : double.NaN);
                    var stepTokens = batches.Sum(b => (long)b.BatchSize * b.Length);
                    Tokens += stepTokens;
                    if (step % options.LogEvery == 0 || step == options.Steps)
                    {
                        var seconds = (clock.Elapsed - stepStart).TotalSeconds;
                        var perStep = clock.Elapsed.TotalSeconds / (step - firstStep);
                        events(new StepEvent(DateTimeOffset.UtcNow, stage, step, options.Steps, loss, lr, norm,
                            stepTokens / Math.Max(seconds, 1e-9), Tokens, MemoryBytes(device),
                            TimeSpan.FromSeconds(perStep * (options.Steps - step)), SkippedSteps));
                    }
                }
                // A checkpoint due during a streak of skipped steps waits for the next trained one: it would hold nothing newer
                // than the last and push out older ones, which may be the last good weights.
                var due = step / options.CheckpointEvery > lastSaved / options.CheckpointEvery;
                if (due && streak == 0 || step == options.Steps) Save();
            }
            return TrainingOutcome.Completed;
        }
        catch (TorchException e) when (TorchRuntime.IsOutOfMemory(e))
        {
            ClearGradients(parameters, master?.Tensors);
            if (device.IsCuda) TorchRuntime.EmptyCudaCache();
            return TrainingOutcome.Failed(OutOfMemory(e.Message.Split('\n')[0]));
        }
        // A full disk or a lost folder ends the run like the others: the thread and the process go on.
        catch (Exception e) when (e is TrainingAbortedException or CheckpointException or TorchException or IOException or UnauthorizedAccessException)
        {
            ClearGradients(parameters, master?.Tensors);
            return TrainingOutcome.Failed(e.Message);
        }
        finally
        {
            // ---- cleanup: the model is left as it was found, bar its weights ----
            recorded?.Dispose();
            model.ActivationCheckpointing = previousCheckpointing;
            for (var i = 0; i < parameters.Count; i++) parameters[i].RequiresGrad = requiredGrad[i];
        }
    }

    /// <summary>Where a failed run can resume from, for its message: "; the checkpoints up to step 6 are kept", or nothing without one.</summary>
    private static string Kept(long lastSaved) => lastSaved > 0 ? $"; the checkpoints up to step {lastSaved} are kept" : "";

    /// <summary>
    /// Continues from the newest checkpoint that can be read when resuming, with a warning naming each newer one that
    /// cannot (a file cut short by a full disk, edited, or lost): the run loses those steps, not itself. Refuses to
    /// overwrite a run's checkpoints otherwise, and refuses a checkpoint of other options, which no older one mends.
    /// </summary>
    private void Restore(Parameters? master, AdamW optimizer, EventSink events)
    {
        var checkpoints = Checkpoints.Complete(runFolder);
        if (checkpoints.Count == 0) return;
        if (!resume)
            throw new CheckpointException($"{Checkpoints.Folder(runFolder)} already holds checkpoints (newest {Path.GetFileName(checkpoints[0].Path)}); resume the run or choose another folder");
        Exception? newestProblem = null;
        bool Readable(string checkpoint, Action read)
        {
            try
            {
                read();
                return true;
            }
            catch (Exception e) when (e is CheckpointException or SafeTensorsFormatException or JsonFieldException or IOException)
            {
                newestProblem ??= e;
                events(new LogEvent(DateTimeOffset.UtcNow, stage, RunLogLevel.Warning, $"{checkpoint} cannot be restored: {e.Message}"));
                return false;
            }
        }
        foreach (var (_, checkpoint) in checkpoints)
        {
            TrainerState? state = null;
            if (!Readable(checkpoint, () => state = Checkpoints.ReadState(checkpoint))) continue;
            if (Checkpoints.Difference(state!.Options, Options) is { } difference)
                throw new CheckpointException($"{Path.Combine(checkpoint, Checkpoints.StateFile)}: the run was started with other options ({difference})");
            if (!Readable(checkpoint, () => Checkpoints.Restore(checkpoint, model, master, optimizer))) continue;
            (Step, Tokens, SkippedSteps) = (state.Step, state.Tokens, state.SkippedSteps);
            losses.Clear();
            losses.AddRange(state.Losses);
            events(new LogEvent(DateTimeOffset.UtcNow, stage, RunLogLevel.Information, $"resumed from {checkpoint} at step {Step}"));
            return;
        }
        throw new CheckpointException($"no checkpoint in {Checkpoints.Folder(runFolder)} can be restored; the newest: {newestProblem!.Message}", newestProblem);
    }

    /// <summary>f32 copies of the weights that the optimizer updates while the model computes in a narrower dtype.</summary>
    private static Parameters MasterCopy(Parameters weights)
    {
        var master = new Parameters();
        using var noGrad = new NoGradScope();
        foreach (var name in weights.Names)
        {
            using var scope = DisposeScope.Enter();
            master.Add(name, weights[name].To(DType.Float32).Clone().RequiringGrad());
        }
        return master;
    }

    /// <summary>The model's gradients, in f32, as its masters' (a bf16 model whose f32 masters the optimizer updates).</summary>
    internal static void GradientsToMaster(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> master)
    {
        for (var i = 0; i < parameters.Count; i++) master[i].Grad = parameters[i].Grad?.To(DType.Float32);
    }

    /// <summary>The model's weights rounded from its updated f32 masters.</summary>
    internal static void WeightsFromMaster(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> master)
    {
        using var noGrad = new NoGradScope();
        for (var i = 0; i < parameters.Count; i++) parameters[i].CopyFrom(master[i]);
    }

    internal static void ClearGradients(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor>? master)
    {
        foreach (var p in parameters) p.Grad = null;
        if (master is not null)
            foreach (var p in master) p.Grad = null;
    }

    private static long MemoryBytes(Device device) =>
        device.IsCuda ? TorchRuntime.CudaMemory(device.Index).Peak : TorchRuntime.CpuResidentBytes();
}
