using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>
/// Lower bounds on the memory a model's work holds at once, checked against the device's memory before the work
/// starts (a run's spec before it is queued, a training step before it allocates): a size that cannot fit is refused
/// with the numbers, instead of failing minutes later, or being granted by a host that overcommits memory and then
/// killing the process. Bounds, not estimates: what passes may still run out of memory, and then fails as such.
/// Sizes are doubles: a mistyped size (a micro-batch of 10⁹) must not overflow the check meant to catch it.
/// </summary>
public static class MemoryBounds
{
    /// <summary>
    /// The loss's f32 logits and their log-softmax for <paramref name="batch"/> × <paramref name="length"/> tokens:
    /// batch × positions × vocab × 4 bytes each, positions being the sequence or, with activation checkpointing,
    /// one chunk of it (<see cref="LanguageModelLoss.Chunk"/>).
    /// </summary>
    public static double LogitBytes(LlamaConfig config, double batch, double length, bool checkpointing) =>
        2.0 * batch * (checkpointing ? Math.Min(length, LanguageModelLoss.Chunk) : length) * config.VocabSize * sizeof(float);

    /// <summary>
    /// One forward over <paramref name="batch"/> × <paramref name="length"/> tokens, without gradients: a layer's
    /// input and output (2 × hidden), the MLP's intermediate activations and the rotary tables (2 × head_dim), in f32;
    /// where attention is not fused (<see cref="TorchRuntime.HasFusedAttention"/>), also its scores and their softmax,
    /// 2 × heads × length² a sequence, which dominate at long lengths (320 GB at 100k tokens and 8 heads).
    /// </summary>
    public static double ForwardBytes(LlamaConfig config, double batch, double length) =>
        batch * length * (2.0 * config.HiddenSize + config.IntermediateSize + 2.0 * config.HeadDim) * sizeof(float)
        + (TorchRuntime.HasFusedAttention ? 0 : 2.0 * batch * config.NumAttentionHeads * length * length * sizeof(float));

    /// <summary>Why <paramref name="bytes"/> for <paramref name="what"/> cannot fit on <paramref name="device"/>, or null when they can.</summary>
    public static string? Problem(double bytes, string what, Device device)
    {
        var total = TorchRuntime.TotalMemory(device);
        return bytes <= total ? null : $"{what} need {Gib(bytes)}, more than the {Gib(total)} {device} has";
    }

    /// <summary>
    /// Loading weights of <paramref name="bytes"/> (in the dtype they load in) onto <paramref name="device"/>: the weights,
    /// and on top, while one tensor is copied and scanned, a constant: one window of the mapped file on the host
    /// (<see cref="SafeTensorsFile.WindowBytes"/>) and the non-finite scan's temporaries for one slice
    /// (<see cref="PretrainedModel.ScanBytes"/>), 84 MiB in all on the CPU.
    /// </summary>
    public static double LoadBytes(double bytes, Device device) =>
        bytes + (device.IsCuda ? 0 : SafeTensorsFile.WindowBytes) + PretrainedModel.ScanBytes;

    /// <summary>
    /// Why weights of <paramref name="bytes"/> for <paramref name="what"/> cannot be loaded onto <paramref name="device"/> now,
    /// or null: <see cref="LoadBytes"/> against the memory it has available (<see cref="TorchRuntime.AvailableMemory"/>), not
    /// its total, since a load takes at once what other models, runs and processes have left.
    /// </summary>
    public static string? LoadProblem(double bytes, string what, Device device)
    {
        var needed = LoadBytes(bytes, device);
        var available = TorchRuntime.AvailableMemory(device);
        return needed <= available ? null : $"{what} need {Gib(needed)} to load, more than the {Gib(available)} {device} has available";
    }

    /// <summary>Why a training micro-batch of <paramref name="batch"/> × <paramref name="length"/> tokens cannot fit, or null.</summary>
    public static string? TrainingProblem(LlamaConfig config, double batch, double length, bool checkpointing, Device device) =>
        Problem(LogitBytes(config, batch, length, checkpointing),
            $"the logits of {batch:0} × {length:0} tokens over {config.VocabSize} words alone", device);

    /// <summary>Why a forward of <paramref name="batch"/> × <paramref name="length"/> tokens (an evaluation, a search) cannot fit, or null.</summary>
    public static string? ForwardProblem(LlamaConfig config, double batch, double length, Device device) =>
        Problem(ForwardBytes(config, batch, length), $"a forward of {batch:0} × {length:0} tokens", device);

    /// <summary>The most tokens one forward of a single sequence can hold on <paramref name="device"/> by <see cref="ForwardBytes"/>.</summary>
    public static long LongestForward(LlamaConfig config, Device device)
    {
        var total = TorchRuntime.TotalMemory(device);
        // ForwardBytes grows with the length (linearly, or quadratically where attention is written out): bisect.
        long fits = 0, tooLong = (long)Math.Min(long.MaxValue / 2.0, total / ForwardBytes(config, 1, 1)) + 1;
        while (tooLong - fits > 1)
        {
            var middle = fits + (tooLong - fits) / 2;
            if (ForwardBytes(config, 1, middle) <= total) fits = middle;
            else tooLong = middle;
        }
        return fits;
    }

    private static string Gib(double bytes) => $"{bytes / (1L << 30):#,0.#} GiB";
}
