using System.Collections.Concurrent;
using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// Whether a model folder's tokenizer loads, in <see cref="Tokenizer.Load"/>'s own words (its errors name the file and the
/// field), and how many ids it has: what a launch asks of the tokenizer before a run is queued, so that a broken
/// tokenizer.json is refused then rather than found once the run has started.
/// </summary>
public static class TokenizerCheck
{
    // Loading Llama 3's tokenizer.json (9 MB) takes about a second, and the Train page checks at every change, an experiment
    // each of its runs: a folder whose tokenizer files loaded is remembered by their sizes and times while they stay so.
    private static readonly ConcurrentDictionary<string, int> Loaded = new();

    /// <summary>
    /// The vocabulary size (<see cref="Tokenizer.VocabSize"/>) of the tokenizer in <paramref name="directory"/>, or the
    /// loader's error and 0 where it does not load.
    /// </summary>
    public static (int VocabSize, string? Problem) Of(string directory)
    {
        var identity = Identity(directory);
        if (Loaded.TryGetValue(identity, out var known)) return (known, null);
        try
        {
            var vocabSize = Tokenizer.Load(directory).VocabSize;
            Loaded[identity] = vocabSize;
            return (vocabSize, null);
        }
        catch (Exception e) when (e is JsonFieldException or IOException or UnauthorizedAccessException)
        {
            return (0, e.Message);
        }
    }

    /// <summary>The tokenizer files <see cref="Tokenizer.Load"/> reads in <paramref name="directory"/>, by path, size and time.</summary>
    private static string Identity(string directory) => string.Join('|',
        from name in (string[])["tokenizer.json", "tokenizer_config.json"]
        let file = new FileInfo(Path.Combine(directory, name))
        select file.Exists ? $"{file.FullName} {file.Length} {file.LastWriteTimeUtc.Ticks}" : $"{file.FullName} -");
}
