using System.Security.Cryptography;

namespace LongRecipe.Engine.Corpora;

/// <summary>SHA-256 fingerprints of the files a corpus is built from, to tell whether a built one is still current.</summary>
internal static class FileHash
{
    /// <summary>Throws a <see cref="CorpusFormatException"/> naming <paramref name="path"/> when it is missing or a folder.</summary>
    public static void RequireFile(string path)
    {
        if (Directory.Exists(path)) throw new CorpusFormatException($"{path} is a folder, not a file");
        if (!File.Exists(path)) throw new CorpusFormatException($"{path}: no such file");
    }

    /// <summary>The file's SHA-256 in lower-case hex; a missing file or a folder throws (<see cref="RequireFile"/>).</summary>
    public static string Sha256(string path)
    {
        RequireFile(path);
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
