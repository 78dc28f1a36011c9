using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Model;

namespace LongRecipe.Lab.Tests;

/// <summary>
/// A random-weight model small enough to score in a blink, with the Llama-2 tokenizer (fetched by
/// scripts/ensure-deps.sh --test into .cache/tokenizers/llama2): vocab 32000, hidden 32, 2 layers,
/// a 256-token window. Only the scores' plumbing is under test, not their quality.
/// </summary>
public static class TinyModel
{
    public const int Window = 256;

    public static string TokenizerFolder => Path.Combine(Workspace.LocateRoot(), ".cache", "tokenizers", "llama2");

    public static bool TokenizerPresent => File.Exists(Path.Combine(TokenizerFolder, "tokenizer.json"));

    public static LlamaConfig Config =>
        LlamaConfig.Create(ModelFamily.Llama, vocabSize: 32000, hiddenSize: 32, intermediateSize: 64, layers: 2, heads: 2,
            kvHeads: 1, maxPositionEmbeddings: Window);

    /// <summary>Writes the model (and the tokenizer, when present) into <paramref name="directory"/>.</summary>
    public static void Write(string directory, ulong seed = 7)
    {
        using (var model = LlamaModel.Initialize(Config, seed)) PretrainedModel.Save(model, directory);
        if (!TokenizerPresent) return;
        foreach (var file in Directory.EnumerateFiles(TokenizerFolder, "*.json"))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
    }
}
