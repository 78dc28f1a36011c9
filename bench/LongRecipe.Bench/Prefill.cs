using System.Diagnostics;
using System.Globalization;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Torch;

/// <summary>
/// Long-context prefill (what a needle or passkey prompt costs before its answer): <see cref="Options.Seq"/> random
/// tokens through the model without gradients, <see cref="Options.Chunk"/> at a time into the bf16 KV cache, then the
/// last position's logits. Tokens/s and peak GPU memory (with the cache), beside bench/peer_prefill.py.
/// </summary>
internal static class Prefill
{
    public static void Run(Options o)
    {
        if (o.Device.IsCuda && o.MemoryFraction is { } fraction) TorchRuntime.CapCudaMemory(o.Device.Index, fraction);
        var config = TrainStep.Config(o.Preset);
        using var model = LlamaModel.Initialize(config, seed: 0, o.Device.IsCuda ? DType.BFloat16 : DType.Float32, o.Device);
        using var generator = new Generator(0);
        using var ids = Tensor.RandInt(0, config.VocabSize, [1, o.Seq], generator, DType.Int64, o.Device);
        using var positions = Tensor.Arange(o.Seq, device: o.Device).Unsqueeze(0);
        using var noGrad = new NoGradScope();

        long Once()
        {
            using var cache = model.NewCache();
            long next = 0;
            for (long start = 0; start < o.Seq; start += o.Chunk)
            {
                using var scope = DisposeScope.Enter();
                var length = Math.Min(o.Chunk, o.Seq - start);
                var hidden = model.Hidden(ids.Narrow(1, start, length), positions.Narrow(1, start, length), cache);
                if (start + length == o.Seq) next = model.Logits(hidden.Narrow(1, length - 1, 1)).ArgMax(-1).ToInt64();
            }
            return next;
        }

        Once();
        TorchRuntime.Synchronize(o.Device);
        if (o.Device.IsCuda) TorchRuntime.ResetCudaPeak(o.Device.Index);
        var clock = Stopwatch.StartNew();
        var token = Once();
        TorchRuntime.Synchronize(o.Device);
        var seconds = clock.Elapsed.TotalSeconds;
        var peak = o.Device.IsCuda ? TorchRuntime.CudaMemory(o.Device.Index).Peak / Math.Pow(2, 30) : 0;
        var cap = o.MemoryFraction is { } f ? f.ToString("F4", CultureInfo.InvariantCulture) : "null";
        Console.WriteLine($"{{\"impl\":\"longrecipe\",\"bench\":\"prefill\",\"preset\":\"{o.Preset}\",\"seq\":{o.Seq},\"chunk\":{o.Chunk}," +
            $"\"memory_cap\":{cap},\"attention\":\"{Options.AttentionName(o.Attention)}\",\"seconds\":{seconds:F3},\"tokens_per_s\":{o.Seq / seconds:F1},\"peak_gib\":{peak:F2},\"next_token\":{token}}}");
    }
}
