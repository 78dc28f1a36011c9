using System.Diagnostics;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Torch;

/// <summary>
/// One Llama training step in bf16 (forward, chunked f32 cross-entropy, backward, AdamW), random init
/// and random tokens from a fixed seed — the config and data of bench/peer_train.py.
/// MFU counts 6·N·tokens (N: the weights that multiply) plus causal attention, 6·L·d·T²,
/// over the H100's 989 TFLOP/s dense bf16.
/// </summary>
internal static class TrainStep
{
    public static void Run(Options o)
    {
        var config = o.Preset switch
        {
            "125m" => LlamaConfig.Llama125M(),
            "1b" => LlamaConfig.Llama1B(),
            _ => throw new ArgumentException($"unknown preset '{o.Preset}' (125m or 1b)"),
        };
        using var model = LlamaModel.Initialize(config, seed: 0, DType.BFloat16, o.Device);
        model.ActivationCheckpointing = o.Checkpoint;
        foreach (var p in model.Parameters.Tensors) p.RequiresGrad = true;
        using var optimizer = new AdamW(model.Parameters.Tensors, new AdamWOptions(LearningRate: 1e-4));
        using var generator = new Generator(0);
        using var ids = Tensor.RandInt(0, config.VocabSize, [1, o.Seq], generator, DType.Int64, o.Device);
        using var positions = Tensor.Arange(o.Seq, device: o.Device).Unsqueeze(0);

        double Step()
        {
            using var scope = DisposeScope.Enter();
            var hidden = model.Hidden(ids, positions).Narrow(1, 0, o.Seq - 1);
            var loss = LanguageModelLoss.CrossEntropy(model, hidden, ids.Narrow(1, 1, o.Seq - 1));
            loss.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
            return loss.ToDouble();
        }

        for (var i = 0; i < 3; i++) Step();
        TorchRuntime.Synchronize(o.Device);
        if (o.Device.IsCuda) TorchRuntime.ResetCudaPeak(o.Device.Index);
        const int steps = 10;
        var clock = Stopwatch.StartNew();
        var lastLoss = 0.0;
        for (var i = 0; i < steps; i++) lastLoss = Step();
        TorchRuntime.Synchronize(o.Device);
        var seconds = clock.Elapsed.TotalSeconds / steps;

        // Weights that multiply: a tied embedding counts once, as the lm_head; an untied input table is a lookup.
        var n = model.Parameters.ElementCount - (config.TieWordEmbeddings ? 0 : model.Parameters["model.embed_tokens.weight"].NumElements);
        var flops = 6.0 * n * o.Seq + 6.0 * config.NumHiddenLayers * config.HiddenSize * o.Seq * o.Seq;
        var peak = o.Device.IsCuda ? TorchRuntime.CudaMemory(o.Device.Index).Peak / Math.Pow(2, 30) : 0;
        Console.WriteLine($"{{\"impl\":\"longrecipe\",\"bench\":\"train_step\",\"preset\":\"{o.Preset}\",\"seq\":{o.Seq}," +
            $"\"checkpoint\":{(o.Checkpoint ? "true" : "false")},\"params\":{n},\"seconds\":{seconds:E4}," +
            $"\"tokens_per_s\":{o.Seq / seconds:F1},\"mfu\":{flops / seconds / 989e12:F4},\"peak_gib\":{peak:F2},\"loss\":{lastLoss:F4}}}");
    }
}
