using System.Text.Json;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// Every real tokenizer file against transformers.js's reading of it (@lenml/tokenizers): the same ids, special tokens
/// included, over the reference fixture's texts (whitespace of every kind, scripts, emoji, code) and real English prose,
/// a paragraph and a whole file at a time.
/// Where HF tokenizers has recorded ids (<see cref="ReferenceFixtureTests"/>) those are the reference; this covers the
/// families it has not, on this machine.
/// </summary>
public class TransformersJsTests
{
    [Theory]
    [InlineData("llama3")]
    [InlineData("llama2")]
    [InlineData("mistral")]
    [InlineData("gemma")]
    [InlineData("yi")]
    [InlineData("gpt2")]
    [InlineData("gpt4o")]
    [InlineData("internlm2")]
    [InlineData("chatglm3")]
    public void Ids_agree_with_transformers_js(string name)
    {
        var tokenizer = RealTokenizers.Get(name);
        // Whole licence files too: tens of thousands of characters that Llama 2's and Mistral's tokenizers, which have no
        // pre-tokenizer, take as one piece, which ours merges a stretch at a time and transformers.js whole.
        var texts = FixtureTexts().Where(t => !WhereTransformersJsDeparts(name, t))
            .Concat(NodeEncoder.LicenceParagraphs()).Concat(NodeEncoder.LicenceFiles()).ToList();

        var theirs = NodeEncoder.Encode("tokenizers_js.mjs", Path.Combine(RealTokenizers.Folder("js"), "tokenizers.mjs"), texts, RealTokenizers.Folder(name));

        var differences = NodeEncoder.Differences(texts, texts.Select(t => tokenizer.Encode(t)).ToList(), theirs, "transformers.js");
        Assert.True(differences.Length == 0, differences);
    }

    /// <summary>
    /// The two places transformers.js departs from HF tokenizers, whose ids for these texts <see cref="ReferenceFixtureTests"/>
    /// check: JavaScript's \s matches U+FEFF (ECMAScript counts it as white space; Rust's and Python's regexes do not), so
    /// " \uFEFF" splits where HF keeps it whole; and where tokenizer_config.json says "legacy": false (Llama 2's), it puts
    /// "▁" in front of the text only, where HF's Prepend normalizer (and the fast tokenizer transformers loads) puts it in
    /// front of every piece between special tokens.
    /// </summary>
    private static bool WhereTransformersJsDeparts(string name, string text) =>
        text.Contains('\uFEFF') || (name == "llama2" && (text.Contains("<s>") || text.Contains("</s>") || text.Contains("<unk>")));

    private static IEnumerable<string> FixtureTexts()
    {
        var path = Path.Combine(Repository.Root ?? AppContext.BaseDirectory, "LongRecipe.Engine.Tests", "Tokenization", "Reference", "tokenizer_reference.json");
        using var fixture = JsonDocument.Parse(File.ReadAllText(path));
        return fixture.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToList();
    }
}
