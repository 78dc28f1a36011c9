using System.Collections.Concurrent;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// Real tokenizer files (Llama 3, Llama 2, Mistral 7B and other families), which `scripts/ensure-deps.sh --test`
/// fetches into .cache/tokenizers/&lt;name&gt;/ (they are not committed; the script says where each comes from). Each is
/// loaded once; tests skip when it is absent.
/// </summary>
internal static class RealTokenizers
{
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Loaded = new();

    // On the GPU route the tests run from the repository too: scripts/gpu/run.sh unpacks the files pack.sh packed there.
    public static string Folder(string name) => Path.Combine(Repository.Root ?? AppContext.BaseDirectory, ".cache", "tokenizers", name);

    public static Tokenizer Llama3 => Get("llama3");

    public static Tokenizer Llama2 => Get("llama2");

    public static Tokenizer Mistral => Get("mistral");

    public static Tokenizer Get(string name)
    {
        if (!File.Exists(Path.Combine(Folder(name), "tokenizer.json")))
            Assert.Skip($"{Folder(name)}/tokenizer.json is missing: run scripts/ensure-deps.sh --test to fetch it");
        return Loaded.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Tokenizer.Load(Folder(n)))).Value;
    }
}
