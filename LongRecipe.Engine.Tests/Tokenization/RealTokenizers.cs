using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// The real Llama-3 and Llama-2 tokenizer files, which `scripts/ensure-deps.sh --test` fetches into
/// .cache/tokenizers/ (they are not committed). Each is loaded once; tests skip when it is absent.
/// </summary>
internal static class RealTokenizers
{
    private static readonly Lazy<Tokenizer> Llama3Lazy = new(() => Tokenizer.Load(Folder("llama3")));
    private static readonly Lazy<Tokenizer> Llama2Lazy = new(() => Tokenizer.Load(Folder("llama2")));

    // On the GPU route the tests run from the repository too: scripts/gpu/run.sh unpacks the files pack.sh packed there.
    public static string Folder(string name) => Path.Combine(Repository.Root ?? AppContext.BaseDirectory, ".cache", "tokenizers", name);

    public static Tokenizer Llama3 => Require("llama3", Llama3Lazy);

    public static Tokenizer Llama2 => Require("llama2", Llama2Lazy);

    public static Tokenizer Get(string name) => name == "llama3" ? Llama3 : Llama2;

    private static Tokenizer Require(string name, Lazy<Tokenizer> tokenizer)
    {
        if (!File.Exists(Path.Combine(Folder(name), "tokenizer.json")))
            Assert.Skip($"{Folder(name)}/tokenizer.json is missing: run scripts/ensure-deps.sh --test to fetch it");
        return tokenizer.Value;
    }
}
