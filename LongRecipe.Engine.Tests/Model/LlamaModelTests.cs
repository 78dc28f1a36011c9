using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Model;

/// <summary>
/// Invariants of the decoder that hold whatever the weights: incremental decoding equals the full
/// forward, checkpointing changes no gradient, a saved model loads back identical, and RoPE makes
/// scores depend on position differences only. The match with transformers itself is in
/// TransformersReferenceTests.
/// </summary>
public class LlamaModelTests
{
    private static readonly long[] Ids = [5, 17, 200, 3, 99, 42, 7, 128, 64, 1, 250, 33];

    private static LlamaModel Tiny(ModelFamily family = ModelFamily.Llama, bool tied = false) =>
        LlamaModel.Initialize(LlamaConfig.Tiny(family) with { TieWordEmbeddings = tied, InitializerRange = 0.15 }, seed: 3, DType.Float64);

    [Fact]
    public void Decoding_with_the_kv_cache_gives_the_full_forward_logits()
    {
        using var model = Tiny();
        using var scope = DisposeScope.Enter();
        using var noGrad = new NoGradScope();
        var ids = Tensor.FromArray(Ids, [1, Ids.Length]);
        var full = model.Forward(ids, Tensor.Arange(Ids.Length).Unsqueeze(0));

        using var cache = model.NewCache();
        var prefix = model.Forward(ids.Narrow(1, 0, 5), Tensor.Arange(5).Unsqueeze(0), cache);
        var steps = new List<Tensor> { prefix };
        for (var i = 5; i < Ids.Length; i++)
            steps.Add(model.Forward(ids.Narrow(1, i, 1), Tensor.Full([1, 1], i, DType.Int64), cache));
        var incremental = Tensor.Cat(steps, 1);

        Assert.Equal(Ids.Length, cache.Length);
        Expect.Close(full.ToArray<double>(), incremental.ToArray<double>(), 1e-10, "incremental vs full logits");
    }

    [Fact]
    public void Scores_depend_on_position_differences_only()
    {
        using var model = Tiny();
        var contiguous = Scoring.LogProbs(model, Ids);
        var shifted = Scoring.LogProbs(model, Ids, Ids.Select((_, i) => 1000L + i).ToArray());
        // Rotary angles are computed in f32, as transformers does, so large positions round a little.
        Expect.Close(contiguous, shifted, 1e-4, "positions 0.. vs 1000..");

        var sparse = Scoring.LogProbs(model, Ids, Ids.Select((_, i) => 7L * i * i).ToArray());
        Assert.True(contiguous.Zip(sparse).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "sparse positions must change the scores");
    }

    [Fact]
    public void Skipping_predictions_returns_the_same_tail()
    {
        using var model = Tiny();
        var full = Scoring.LogProbs(model, Ids);
        long[] reversed = [.. Ids.Reverse()];
        var tails = Scoring.LogProbs(model, [Ids, reversed], skip: 8);
        Expect.Close(full[8..], tails[0], 1e-12, "predictions 8.. of the full scores");
        Expect.Close(Scoring.LogProbs(model, reversed)[8..], tails[1], 1e-12, "second row");
        Assert.Equal("skip", Assert.Throws<ArgumentException>(() => Scoring.LogProbs(model, [Ids], skip: Ids.Length - 1)).ParamName);
    }

    [Fact]
    public void Activation_checkpointing_changes_no_gradient()
    {
        using var model = Tiny(ModelFamily.Qwen2);
        foreach (var p in model.Parameters.Tensors) p.RequiresGrad = true;
        double[] Gradients()
        {
            using var scope = DisposeScope.Enter();
            var ids = Tensor.FromArray(Ids, [1, Ids.Length]);
            var logits = model.Forward(ids, Tensor.Arange(Ids.Length).Unsqueeze(0));
            Functional.CrossEntropy(logits.Narrow(1, 0, Ids.Length - 1).Reshape(-1, 256), ids.Narrow(1, 1, Ids.Length - 1).Reshape(-1)).Backward();
            var grads = model.Parameters.Tensors.SelectMany(p => p.Grad!.ToArray<double>()).ToArray();
            foreach (var p in model.Parameters.Tensors) p.Grad = null;
            return grads;
        }

        var plain = Gradients();
        model.ActivationCheckpointing = true;
        Expect.Close(plain, Gradients(), 1e-12, "checkpointed vs plain gradients");
    }

    [Theory]
    [InlineData(ModelFamily.Llama, false, long.MaxValue)]
    [InlineData(ModelFamily.Qwen2, true, long.MaxValue)]
    [InlineData(ModelFamily.Llama, false, 20_000)]
    public void A_saved_model_loads_back_with_the_same_scores(ModelFamily family, bool tied, long shardBytes)
    {
        using var folder = new TempFolder();
        using var model = Tiny(family, tied);
        PretrainedModel.Save(model, folder.Path, shardBytes);
        using var loaded = PretrainedModel.Load(folder.Path);

        Assert.Equal(shardBytes < long.MaxValue, File.Exists(Path.Combine(folder.Path, PretrainedModel.IndexFile)));
        Assert.Equal(model.Config with { Dtype = DType.Float64 }, loaded.Config);
        Assert.Equal(DType.Float64, loaded.DType);
        Expect.Close(Scoring.LogProbs(model, Ids), Scoring.LogProbs(loaded, Ids), 0, "scores before and after the round trip");
    }

    [Fact]
    public void Loading_converts_to_the_requested_dtype()
    {
        using var folder = new TempFolder();
        using (var model = Tiny()) PretrainedModel.Save(model, folder.Path);
        using var loaded = PretrainedModel.Load(folder.Path, dtype: DType.BFloat16);
        Assert.Equal(DType.BFloat16, loaded.DType);
        Assert.Equal(Ids.Length - 1, Scoring.LogProbs(loaded, Ids).Length);
    }

    [Fact]
    public void A_missing_tensor_is_named_with_its_file()
    {
        using var folder = new TempFolder();
        using (var model = Tiny())
        {
            var kept = model.Parameters.Names.Where(n => n != "model.layers.1.mlp.up_proj.weight").ToDictionary(n => n, n => model.Parameters[n]);
            LongRecipe.Engine.SafeTensors.SafeTensorsWriter.Write(Path.Combine(folder.Path, PretrainedModel.WeightsFile), kept);
            model.Config.Save(Path.Combine(folder.Path, PretrainedModel.ConfigFile));
        }
        var e = Assert.Throws<ModelLoadException>(() => { using var model = PretrainedModel.Load(folder.Path); });
        Assert.Contains("model.safetensors: missing tensor 'model.layers.1.mlp.up_proj.weight'", e.Message);
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_is_named_with_both_shapes()
    {
        using var folder = new TempFolder();
        using (var model = Tiny()) PretrainedModel.Save(model, folder.Path);
        var config = LlamaConfig.Load(Path.Combine(folder.Path, PretrainedModel.ConfigFile));
        (config with { IntermediateSize = 48 }).Save(Path.Combine(folder.Path, PretrainedModel.ConfigFile));

        var e = Assert.Throws<ModelLoadException>(() => { using var model = PretrainedModel.Load(folder.Path); });
        Assert.Contains("tensor 'model.layers.0.mlp.gate_proj.weight' has shape [64, 32], the config implies [48, 32]", e.Message);
    }

    [Fact]
    public void Greedy_generation_continues_with_the_most_likely_tokens()
    {
        using var model = Tiny();
        var generated = Generation.Generate(model, Ids[..4], 5, SamplingOptions.Greedy, cancel: TestContext.Current.CancellationToken)
            .ToBlockingEnumerable(TestContext.Current.CancellationToken).ToArray();
        Assert.Equal(5, generated.Length);

        // Each greedy token is the argmax of a full forward over everything before it.
        var sequence = Ids[..4].ToList();
        foreach (var token in generated)
        {
            using var scope = DisposeScope.Enter();
            using var noGrad = new NoGradScope();
            var logits = model.Forward(Tensor.FromArray(sequence.ToArray(), [1, sequence.Count]), Tensor.Arange(sequence.Count).Unsqueeze(0));
            Assert.Equal(logits.Select(1, sequence.Count - 1).ArgMax(-1).ToInt64(), token);
            sequence.Add(token);
        }
    }

    [Fact]
    public void Sampling_is_reproducible_by_seed()
    {
        using var model = Tiny();
        long[] Sample(ulong seed) => Generation.Generate(model, Ids[..3], 8, new SamplingOptions(Temperature: 1.5, TopK: 50, TopP: 0.9, Seed: seed),
                cancel: TestContext.Current.CancellationToken)
            .ToBlockingEnumerable(TestContext.Current.CancellationToken).ToArray();
        Assert.Equal(Sample(1), Sample(1));
        Assert.NotEqual(Sample(1), Sample(2));
    }

    [Fact]
    public void Chunked_loss_equals_the_plain_cross_entropy_in_value_and_gradient()
    {
        using var model = Tiny();
        foreach (var p in model.Parameters.Tensors) p.RequiresGrad = true;
        (double Loss, double[] Grads) Run(bool chunked)
        {
            using var scope = DisposeScope.Enter();
            var ids = Tensor.FromArray(Ids, [1, Ids.Length]);
            var targets = Tensor.FromArray(Ids[1..].Select((t, i) => i % 4 == 1 ? -100L : t).ToArray(), [1, Ids.Length - 1]);
            var hidden = model.Hidden(ids, Tensor.Arange(Ids.Length).Unsqueeze(0)).Narrow(1, 0, Ids.Length - 1);
            var loss = chunked
                ? LanguageModelLoss.CrossEntropy(model, hidden, targets, chunk: 4)
                : Functional.CrossEntropy(model.Logits(hidden).Reshape(-1, 256), targets.Reshape(-1));
            loss.Backward();
            var grads = model.Parameters.Tensors.SelectMany(p => p.Grad!.ToArray<double>()).ToArray();
            foreach (var p in model.Parameters.Tensors) p.Grad = null;
            return (loss.ToDouble(), grads);
        }

        var (plainLoss, plainGrads) = Run(chunked: false);
        model.ActivationCheckpointing = true;
        var (chunkedLoss, chunkedGrads) = Run(chunked: true);
        Expect.Close(plainLoss, chunkedLoss, 1e-6, "loss");
        Expect.Close(plainGrads, chunkedGrads, 1e-6, "gradients");
    }
}
