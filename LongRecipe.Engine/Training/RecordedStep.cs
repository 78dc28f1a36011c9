using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Training;

/// <summary>libtorch could not record the step (an operation CUDA graphs do not allow); nothing of the step has run.</summary>
internal sealed class RecordingFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The trainer's step as a CUDA graph (<see cref="TrainerOptions.CudaGraph"/>): forward and backward of each micro-batch,
/// clipping and the AdamW update, with what the eager step reads back to the host (each micro-batch's share of the
/// targets, the loss, the gradient norm, whether to skip the update) kept on the GPU. The first step of a shape runs it
/// as it is, which makes the optimizer's state and the libraries' plans; the second records it; every later one replays
/// it, one launch instead of the host's work for each kernel. A step's tokens, rotary table and learning rate are copied
/// into tensors made by the first step, which the recording reads; its loss and norm are read back after it.
/// </summary>
internal sealed class RecordedStep : IDisposable
{
    private readonly LlamaModel model;
    private readonly IReadOnlyList<Tensor> parameters;
    private readonly IReadOnlyList<Tensor>? master;
    private readonly AdamW optimizer;
    private readonly double clipNorm;
    private readonly (int BatchSize, int Length)[] shape;
    private readonly List<(Tensor Ids, Tensor Cos, Tensor Sin, Tensor Targets)> inputs = [];
    private Tensor? learningRate;
    private bool ranOnce;
    private CudaGraph? graph;
    private (Tensor Loss, Tensor Norm)? recorded;

    /// <param name="master">f32 copies the optimizer updates while the model computes in bf16; null when it updates the model's own.</param>
    /// <param name="clipNorm">The gradient norm's bound, ∞ for none.</param>
    /// <param name="batches">A step's micro-batches: every step this one runs has their shapes.</param>
    public RecordedStep(LlamaModel model, IReadOnlyList<Tensor>? master, AdamW optimizer, double clipNorm, IReadOnlyList<TrainingBatch> batches)
    {
        if (!optimizer.CanStepOnDevice)
            throw new InvalidOperationException("a recorded step needs f32 optimizer state, a CUDA device and libtorch 2.3 or newer");
        (this.model, parameters, this.master, this.optimizer, this.clipNorm) = (model, model.Parameters.Tensors, master, optimizer, clipNorm);
        shape = batches.Select(b => (b.BatchSize, b.Length)).ToArray();
    }

    /// <summary>Whether the step has been recorded (from the second step of its shape on).</summary>
    public bool IsRecorded => graph is not null;

    /// <summary>Whether these micro-batches have the shapes this step was made for.</summary>
    public bool Fits(IReadOnlyList<TrainingBatch> batches) => batches.Select(b => (b.BatchSize, b.Length)).SequenceEqual(shape);

    /// <summary>
    /// Trains one step on <paramref name="batches"/> at learning rate <paramref name="lr"/>, leaving the weights as they were
    /// where the loss or the norm is not finite. Returns both, read back after the step.
    /// </summary>
    public (double Loss, double Norm) Run(IReadOnlyList<TrainingBatch> batches, double lr)
    {
        if (!Fits(batches)) throw new ArgumentException("the micro-batches' shapes differ from the recorded step's", nameof(batches));
        Load(batches, lr);
        if (!ranOnce)
        {
            // The optimizer's moments and its kernel's step counters must exist before recording: the first step makes them.
            var (loss, norm) = Body();
            ranOnce = true;
            using (loss)
            using (norm)
                return Read(loss, norm);
        }
        if (graph is null)
        {
            (Tensor Loss, Tensor Norm)? outputs = null;
            try
            {
                graph = CudaGraph.Capture(() => outputs = Body());
            }
            catch (TorchException e) when (!TorchRuntime.IsOutOfMemory(e))
            {
                // Recording launches nothing: the weights and the optimizer are as the step found them.
                Trainer.ClearGradients(parameters, master);
                throw new RecordingFailedException(e.Message.Split('\n')[0], e);
            }
            // The recording's outputs live as long as it: each replay writes them again.
            recorded = (DisposeScope.Detach(outputs!.Value.Loss), DisposeScope.Detach(outputs.Value.Norm));
        }
        graph.Replay();
        return Read(recorded!.Value.Loss, recorded.Value.Norm);
    }

    /// <summary>Copies the step's tokens, targets, rotary table and learning rate into the tensors the recording reads.</summary>
    private void Load(IReadOnlyList<TrainingBatch> batches, double lr)
    {
        var device = model.Device;
        using var scope = DisposeScope.Enter();
        for (var i = 0; i < batches.Count; i++)
        {
            var b = batches[i];
            long[] dims = [b.BatchSize, b.Length];
            var positions = Tensor.FromArray(b.PositionIds, dims, device: device);
            var (cos, sin) = Rotary.CosSin(model.Config, positions, model.DType);
            var (ids, targets) = (Tensor.FromArray(b.InputIds, dims), Tensor.FromArray(b.Targets, dims));
            if (inputs.Count <= i)
                inputs.Add((DisposeScope.Detach(ids.To(device)), DisposeScope.Detach(cos), DisposeScope.Detach(sin), DisposeScope.Detach(targets.To(device))));
            else
            {
                inputs[i].Ids.CopyFrom(ids);
                inputs[i].Cos.CopyFrom(cos);
                inputs[i].Sin.CopyFrom(sin);
                inputs[i].Targets.CopyFrom(targets);
            }
        }
        learningRate ??= DisposeScope.Detach(Tensor.Zeros([], DType.Float32, device));
        learningRate.Fill(lr);
    }

    /// <summary>The step, launching only GPU work: recorded once, replayed after.</summary>
    private (Tensor Loss, Tensor Norm) Body()
    {
        using var scope = DisposeScope.Enter();
        var counts = inputs.Select(input => input.Targets.Ne(TrainingBatch.Ignore).Sum()).ToList();
        var targets = Tensor.Stack(counts).Sum();
        Tensor? loss = null;
        for (var i = 0; i < inputs.Count; i++)
        {
            var (ids, cos, sin, labels) = inputs[i];
            // Each micro-batch's mean, weighted by its share of the step's targets, as the eager step weighs them.
            var weight = counts[i].Div(targets);
            var microLoss = LanguageModelLoss.CrossEntropy(model, model.Hidden(ids, (cos, sin)), labels);
            (microLoss * weight).Backward();
            var share = microLoss.Detach() * weight;
            loss = loss is null ? share : loss + share;
        }
        var trained = master ?? parameters;
        if (master is not null) Trainer.GradientsToMaster(parameters, master);
        var norm = GradientClipping.ClipGradNormOnDevice(trained, clipNorm);
        var skip = loss!.IsFinite().LogicalAnd(norm.IsFinite()).LogicalNot().To(DType.Float32);
        optimizer.StepOnDevice(learningRate!, skip);
        if (master is not null) Trainer.WeightsFromMaster(parameters, master);
        Trainer.ClearGradients(parameters, master);
        return (scope.MoveToOuter(loss), scope.MoveToOuter(norm));
    }

    private static (double Loss, double Norm) Read(Tensor loss, Tensor norm)
    {
        using var scope = DisposeScope.Enter();
        var values = Tensor.Stack([loss, norm]).ToArray<float>();
        return (values[0], values[1]);
    }

    public void Dispose()
    {
        graph?.Dispose();
        recorded?.Loss.Dispose();
        recorded?.Norm.Dispose();
        foreach (var (ids, cos, sin, targets) in inputs)
        {
            ids.Dispose();
            cos.Dispose();
            sin.Dispose();
            targets.Dispose();
        }
        learningRate?.Dispose();
    }
}
