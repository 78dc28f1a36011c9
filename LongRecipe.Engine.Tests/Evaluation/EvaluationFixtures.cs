using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Tokenization.Training;

namespace LongRecipe.Engine.Tests.Evaluation;

/// <summary>A small byte-level BPE trained on the synthetic corpus, and tiny random models sized to its vocabulary.</summary>
internal static class EvaluationFixtures
{
    private static readonly Lazy<Tokenizer> Trained = new(() =>
    {
        var trained = BpeTrainer.Train(SyntheticTrainingTexts.Generate(documents: 1, seed: 5, words: 400), new BpeTrainingSpec(VocabSize: 384));
        return Tokenizer.FromJson(trained.TokenizerJson(), configJson: trained.TokenizerConfigJson());
    });

    public static Tokenizer Tokenizer => Trained.Value;

    public static LlamaModel TinyModel(ulong seed = 0, RopeScaling? rope = null) =>
        LlamaModel.Initialize(LlamaConfig.Tiny(rope: rope) with { VocabSize = Tokenizer.VocabSize }, seed);
}
