using System.Security.Cryptography;

namespace LongRecipe.Engine.Corpora;

/// <summary>SHA-256 fingerprints of the files a corpus is built from, to tell whether a built one is still current.</summary>
internal static class FileHash
{
    /// <summary>The file's SHA-256 in lower-case hex; a missing file throws a <see cref="CorpusFormatException"/> naming it.</summary>
    public static string Sha256(string path)
    {
        if (!File.Exists(path)) throw new CorpusFormatException($"{path}: no such file");
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// A tokenizer's fingerprint: the SHA-256 of its tokenizer.json (<paramref name="tokenizerPath"/> is the file or
    /// the folder holding it), then "+" and that of the tokenizer_config.json beside it when there is one.
    /// </summary>
    public static string OfTokenizer(string tokenizerPath)
    {
        var file = Directory.Exists(tokenizerPath) ? Path.Combine(tokenizerPath, "tokenizer.json") : tokenizerPath;
        var config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json");
        return Sha256(file) + (File.Exists(config) ? "+" + Sha256(config) : "");
    }
}
