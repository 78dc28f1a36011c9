using LongRecipe.Engine.Randomness;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Optim;

/// <summary>
/// Hyperparameters of AdamW, e.g. lr 5e-5, betas (0.9, 0.95), eps 1e-8, weight decay 0.1; how the moments are
/// kept (<see cref="OptimizerState"/>), and the seed of the stochastic rounding the compact states use.
/// </summary>
public sealed record AdamWOptions(
    double LearningRate = 1e-3,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-8,
    double WeightDecay = 0.01,
    OptimizerState State = OptimizerState.F32,
    ulong Seed = 0);

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), as torch.optim.AdamW computes it.
/// At step t, for each parameter p with gradient g:
///   p ← p · (1 − lr·λ)
///   m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
///   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// Parameters without a gradient are skipped. The moments live as long as the optimizer, in the form
/// <see cref="AdamWOptions.State"/> names. With f32 state they are tensors like the parameters, and on CUDA
/// with libtorch 2.1 or newer one fused kernel does the whole step. The compact states are read into f32 a
/// chunk of 8M elements at a time, updated by the same formula, and written back; a bf16 parameter is then
/// updated in f32 and rounded back stochastically, so it needs no f32 master copy. The random bits of step t
/// come from a generator seeded by (seed, t): a resumed run rounds as the uninterrupted one does.
/// </summary>
public sealed class AdamW : IDisposable
{
    // A multiple of the quantizer's block; f32 temporaries of a chunk stay within a few hundred MiB.
    private const long ChunkElements = 1L << 23;

    private readonly IReadOnlyList<Tensor> parameters;
    private readonly (MomentStore First, MomentStore Second)?[] moments;
    private readonly Tensor?[] fusedSteps;
    private readonly BlockwiseQuantizer signedQuantizer = new(QuantizationMap.DynamicSigned);
    private readonly BlockwiseQuantizer unsignedQuantizer = new(QuantizationMap.DynamicUnsigned);

    public AdamWOptions Options { get; }

    /// <summary>The learning rate of the next step; schedules set it before each step.</summary>
    public double LearningRate { get; set; }

    /// <summary>Steps taken so far (t of the last step).</summary>
    public long StepCount { get; private set; }

    public AdamW(IReadOnlyList<Tensor> parameters, AdamWOptions options)
    {
        if (options.State != OptimizerState.F32 && parameters.FirstOrDefault(p => p.DType is not (DType.Float32 or DType.BFloat16)) is { } other)
            throw new ArgumentException($"{options.State} state updates f32 or bf16 parameters, not {other.DType.ShortName()}", nameof(parameters));
        this.parameters = parameters;
        Options = options;
        LearningRate = options.LearningRate;
        moments = new (MomentStore, MomentStore)?[parameters.Count];
        fusedSteps = new Tensor?[parameters.Count];
    }

    /// <summary>Bytes the optimizer's state holds now (the moments in their stored form).</summary>
    public long StateBytes => moments.Sum(m => m is { } pair ? pair.First.Bytes + pair.Second.Bytes : 0);

    public void Step()
    {
        StepCount++;
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        var updates = Updates();
        if (updates.Count == 0) return;
        if (Options.State == OptimizerState.F32 && FusedAdamW.IsAvailable && updates.All(u => parameters[u.Index].Device.IsCuda))
            FusedStep(updates, stepsBefore: StepCount - 1);
        else
            ChunkedStep(updates);
    }

    /// <summary>Whether <see cref="StepOnDevice"/> can update these parameters: f32 state on CUDA, libtorch 2.3 or newer.</summary>
    public bool CanStepOnDevice => Options.State == OptimizerState.F32 && FusedAdamW.TakesLearningRateOnDevice && parameters.All(p => p.Device.IsCuda);

    /// <summary>
    /// The step <see cref="Step"/> takes, at the learning rate held in <paramref name="learningRate"/> (0-dim f32 on the
    /// device), and not taken at all where <paramref name="skip"/> (0-dim f32) holds 1: nothing is read back to the host,
    /// so a <see cref="CudaGraph"/> can record it. The first call makes the moments and must run before recording.
    /// <see cref="StepCount"/> stays as it is (a replay does not pass through here): the caller advances it with
    /// <see cref="CountStep"/> for each step it finds taken.
    /// </summary>
    public void StepOnDevice(Tensor learningRate, Tensor skip)
    {
        if (!CanStepOnDevice)
            throw new InvalidOperationException("a step on the device needs f32 optimizer state, CUDA parameters and libtorch 2.3 or newer");
        using var noGrad = new NoGradScope();
        using var scope = DisposeScope.Enter();
        var updates = Updates();
        if (updates.Count > 0) FusedStep(updates, stepsBefore: StepCount, learningRate, skip);
    }

    /// <summary>Counts a step <see cref="StepOnDevice"/> took (its skip flag 0).</summary>
    public void CountStep() => StepCount++;

    /// <summary>The parameters with a gradient, their moments made on first use.</summary>
    private List<(int Index, Tensor Grad)> Updates()
    {
        var updates = new List<(int Index, Tensor Grad)>();
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Grad is not { } g) continue;
            moments[i] ??= NewMoments(parameters[i]);
            updates.Add((i, g));
        }
        return updates;
    }

    private (MomentStore First, MomentStore Second) NewMoments(Tensor p)
    {
        Tensor Zeros(DType dtype) => DisposeScope.Detach(Tensor.Zeros(p.Shape, dtype, p.Device));
        return Options.State switch
        {
            OptimizerState.F32 => (new FullMoment("exp_avg", Zeros(p.DType)), new FullMoment("exp_avg_sq", Zeros(p.DType))),
            OptimizerState.Bf16Stochastic => (new Bf16Moment("exp_avg", Zeros(DType.BFloat16)), new Bf16Moment("exp_avg_sq", Zeros(DType.BFloat16))),
            _ => (new Int8Moment("exp_avg", p.NumElements, p.Device, signedQuantizer, root: false),
                new Int8Moment("exp_avg_sq_root", p.NumElements, p.Device, unsignedQuantizer, root: true)),
        };
    }

    private void ChunkedStep(List<(int Index, Tensor Grad)> updates)
    {
        var (lr, b1, b2) = (LearningRate, Options.Beta1, Options.Beta2);
        var compact = Options.State != OptimizerState.F32;
        var stepSeed = SplitMix64.ForSample(Options.Seed, checked((int)StepCount)).NextUInt64();
        using var random = new Generator(stepSeed, parameters[updates[0].Index].Device);
        foreach (var (i, g) in updates)
        {
            var (p, (first, second)) = (parameters[i], moments[i]!.Value);
            var (weights, grads) = (p.View(-1), g.Reshape(-1));
            for (long start = 0; start < weights.NumElements; start += ChunkElements)
            {
                using var chunk = DisposeScope.Enter();
                var length = Math.Min(ChunkElements, weights.NumElements - start);
                var stored = weights.Narrow(0, start, length);
                var w = compact && p.DType != DType.Float32 ? stored.To(DType.Float32) : stored;
                var grad = grads.Narrow(0, start, length);
                if (compact) grad = grad.To(DType.Float32);
                var (m, v) = (first.Read(start, length), second.Read(start, length));

                w.MulInPlace(1 - lr * Options.WeightDecay);
                m.LerpInPlace(grad, 1 - b1);
                v.MulInPlace(b2).AddcmulInPlace(grad, grad, 1 - b2);
                var denominator = v.Sqrt().DivInPlace(Math.Sqrt(1 - Math.Pow(b2, StepCount))).AddInPlace(Options.Epsilon);
                w.AddcdivInPlace(m, denominator, -lr / (1 - Math.Pow(b1, StepCount)));

                first.Write(start, m, random);
                second.Write(start, v, random);
                if (!ReferenceEquals(w, stored)) stored.CopyFrom(StochasticRounding.ToBFloat16(w, random));
            }
        }
    }

    /// <summary>The kernel keeps its own step count per parameter; it starts at <paramref name="stepsBefore"/>, where the optimizer was.</summary>
    private void FusedStep(List<(int Index, Tensor Grad)> updates, long stepsBefore, Tensor? learningRate = null, Tensor? skip = null)
    {
        foreach (var (i, _) in updates)
            fusedSteps[i] ??= DisposeScope.Detach(Tensor.Full([], stepsBefore, DType.Float32, parameters[i].Device));
        Tensor Moment(int index, bool second) => ((FullMoment)(second ? moments[index]!.Value.Second : moments[index]!.Value.First)).Values;
        FusedAdamW.Step(
            updates.Select(u => parameters[u.Index]).ToList(), updates.Select(u => u.Grad).ToList(),
            updates.Select(u => Moment(u.Index, second: false)).ToList(), updates.Select(u => Moment(u.Index, second: true)).ToList(),
            updates.Select(u => fusedSteps[u.Index]!).ToList(),
            LearningRate, Options.Beta1, Options.Beta2, Options.WeightDecay, Options.Epsilon, learningRate, skip);
    }

    /// <summary>
    /// The tensors holding parameter <paramref name="index"/>'s state, by name (exp_avg and exp_avg_sq, or the
    /// codes and block maxima of exp_avg and of exp_avg_sq's root); empty before its first update. For checkpoints.
    /// </summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> State(int index) =>
        moments[index] is { } pair ? [.. pair.First.Tensors, .. pair.Second.Tensors] : [];

    /// <summary>
    /// Continues from a checkpoint: the step count, and each parameter's state tensors copied in from
    /// <paramref name="read"/>(index, name, like), which gives the stored tensor of that name with the shape
    /// and dtype of <c>like</c>, or null. A parameter with none of its tensors stored starts fresh.
    /// </summary>
    public void Restore(long stepCount, Func<int, string, Tensor, Tensor?> read)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        using var noGrad = new NoGradScope();
        for (var i = 0; i < parameters.Count; i++)
        {
            using var scope = DisposeScope.Enter();
            DisposeState(i);
            var fresh = NewMoments(parameters[i]);
            moments[i] = fresh;
            var stored = State(i).Select(s => (s.Name, s.Tensor, Stored: read(i, s.Name, s.Tensor))).ToList();
            if (stored.All(s => s.Stored is null))
            {
                DisposeState(i);
                continue;
            }
            if (stored.FirstOrDefault(s => s.Stored is null) is { Name: { } missing })
                throw new ArgumentException($"parameter {i}: the stored state lacks {missing}", nameof(read));
            foreach (var (_, tensor, value) in stored) tensor.CopyFrom(value!);
        }
        StepCount = stepCount;
    }

    /// <summary>Clears every parameter's gradient (drops it, as set_to_none does).</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters) p.Grad = null;
    }

    private void DisposeState(int index)
    {
        if (moments[index] is { } pair)
        {
            pair.First.Dispose();
            pair.Second.Dispose();
        }
        fusedSteps[index]?.Dispose();
        (moments[index], fusedSteps[index]) = (null, null);
    }

    public void Dispose()
    {
        for (var i = 0; i < parameters.Count; i++) DisposeState(i);
        signedQuantizer.Dispose();
        unsignedQuantizer.Dispose();
    }
}
