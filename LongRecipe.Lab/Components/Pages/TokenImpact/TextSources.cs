using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Corpora.Synthetic;

namespace LongRecipe.Lab.Components.Pages.TokenImpact;

public enum TextSource { Paste, Sample, Corpus }

/// <summary>A built-in text: a name for the list and the generator behind it.</summary>
public sealed record TextSample(string Name, Func<string> Text);

/// <summary>Where the explorer's text comes from: pasted, a built-in synthetic sample, or a corpus file.</summary>
public static class TextSources
{
    /// <summary>Synthetic texts from the engine's generators (no downloads): facts referred back to far later, and plain prose.</summary>
    public static readonly IReadOnlyList<TextSample> Samples =
    [
        new("Long document with facts referred back to (~1.5k tokens, seed 0)", () => LongDocument.Generate(LongDocumentSpec.ForApproxTokens(1500, 0)).Text),
        new("Long document with facts referred back to (~1.5k tokens, seed 1)", () => LongDocument.Generate(LongDocumentSpec.ForApproxTokens(1500, 1)).Text),
        new("Short document (seed 0)", () => ShortDocument.Generate(new ShortDocumentSpec(Seed: 0)).Text),
    ];

    /// <summary>Document <paramref name="index"/> (0-based) of a .txt or .jsonl corpus; errors name the file and line.</summary>
    public static string FromCorpus(string path, int index)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new CorpusFormatException("Give the path of a .txt or .jsonl corpus file.");
        if (index < 0) throw new CorpusFormatException($"Document index must not be negative, got {index}.");
        var document = CorpusReader.Read(path.Trim()).Skip(index).FirstOrDefault()
                       ?? throw new CorpusFormatException($"{path}: has no document {index} (documents count from 0).");
        return document.TextToTokenize
               ?? throw new CorpusFormatException($"{path}: document {index} holds token ids only; the explorer needs text.");
    }
}
