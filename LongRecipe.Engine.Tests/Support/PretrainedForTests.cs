using System.Text;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Support;

/// <summary>
/// A model whose perplexity means something, with the encoder of its vocabulary: the product's
/// built-in model (models/builtin) where the repository has it, otherwise a tiny byte-level model
/// trained here in seconds on synthetic text at a 32-token native window.
/// </summary>
internal sealed class PretrainedForTests : IDisposable
{
    public LlamaModel Model { get; }

    public Func<string, int[]> Encode { get; }

    public bool IsBuiltin { get; }

    public PretrainedForTests()
    {
        var builtin = Repository.Root is { } root ? Path.Combine(root, "models", "builtin") : null;
        if (builtin is not null && File.Exists(Path.Combine(builtin, PretrainedModel.ConfigFile)))
        {
            Model = PretrainedModel.Load(builtin, dtype: DType.Float32);
            var tokenizer = Tokenizer.Load(builtin);
            Encode = text => tokenizer.Encode(text, addSpecialTokens: true);
            IsBuiltin = true;
            return;
        }
        Encode = text => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
        Model = TrainTiny(Encode);
    }

    /// <summary>
    /// 300 AdamW steps of next-byte prediction on 8 × 32-byte windows of synthetic long documents
    /// (seed 1000, apart from the search and held-out samples the tests draw).
    /// </summary>
    private static LlamaModel TrainTiny(Func<string, int[]> encode)
    {
        const int window = 32, batch = 8, steps = 300;
        var model = LlamaModel.Initialize(LlamaConfig.Tiny(maxPositionEmbeddings: window), seed: 7);
        foreach (var p in model.Parameters.Tensors) p.RequiringGrad();
        var text = SearchSamples.Synthetic(encode, count: 4, length: 4096, seed: 1000).SelectMany(s => s).ToArray();
        using var optimizer = new AdamW(model.Parameters.Tensors, new AdamWOptions(LearningRate: 3e-3, WeightDecay: 0));
        var positions = Enumerable.Range(0, batch).SelectMany(_ => Enumerable.Range(0, window).Select(i => (long)i)).ToArray();
        for (var step = 0; step < steps; step++)
        {
            using var scope = DisposeScope.Enter();
            // Windows start at a fixed stride through the text, so every step sees new bytes.
            var starts = Enumerable.Range(0, batch).Select(b => (step * batch + b) * 61 % (text.Length - window - 1));
            var rows = starts.Select(s => text[s..(s + window + 1)]).ToArray();
            var ids = Tensor.FromArray(rows.SelectMany(r => r[..window]).ToArray(), [batch, window]);
            var targets = Tensor.FromArray(rows.SelectMany(r => r[1..]).ToArray(), [batch, window]);
            var hidden = model.Hidden(ids, Tensor.FromArray(positions, [batch, window]));
            LanguageModelLoss.CrossEntropy(model, hidden, targets).Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        foreach (var p in model.Parameters.Tensors) p.RequiresGrad = false;
        return model;
    }

    public void Dispose() => Model.Dispose();
}
