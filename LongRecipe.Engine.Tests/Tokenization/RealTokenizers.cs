using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// The real Llama-3, Llama-2 and Mistral-7B tokenizer files, which `scripts/ensure-deps.sh --test` fetches into
/// .cache/tokenizers/ (they are not committed; the script says where each comes from). Each is loaded once; tests skip
/// when it is absent.
/// </summary>
internal static class RealTokenizers
{
    private static readonly Lazy<Tokenizer> Llama3Lazy = new(() => Tokenizer.Load(Folder("llama3")));
    private static readonly Lazy<Tokenizer> Llama2Lazy = new(() => Tokenizer.Load(Folder("llama2")));
    private static readonly Lazy<Tokenizer> MistralLazy = new(() => Tokenizer.Load(Folder("mistral")));

    // On the GPU route the tests run from the repository too: scripts/gpu/run.sh unpacks the files pack.sh packed there.
    public static string Folder(string name) => Path.Combine(Repository.Root ?? AppContext.BaseDirectory, ".cache", "tokenizers", name);

    public static Tokenizer Llama3 => Require("llama3", Llama3Lazy);

    public static Tokenizer Llama2 => Require("llama2", Llama2Lazy);

    public static Tokenizer Mistral => Require("mistral", MistralLazy);

    public static Tokenizer Get(string name) => name switch
    {
        "llama3" => Llama3,
        "llama2" => Llama2,
        "mistral" => Mistral,
        _ => throw new ArgumentException($"no real tokenizer '{name}'", nameof(name)),
    };

    private static Tokenizer Require(string name, Lazy<Tokenizer> tokenizer)
    {
        if (!File.Exists(Path.Combine(Folder(name), "tokenizer.json")))
            Assert.Skip($"{Folder(name)}/tokenizer.json is missing: run scripts/ensure-deps.sh --test to fetch it");
        return tokenizer.Value;
    }
}
