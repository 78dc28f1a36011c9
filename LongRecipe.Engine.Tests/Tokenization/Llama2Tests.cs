namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// Llama 2's own tokenizer, which scripts/ensure-deps.sh --test assembles from llama-tokenizer-js's copy of its
/// vocabulary and merges: ids Meta's tokenizer gives, and agreement with llama-tokenizer-js, an encoder of Llama 2
/// written apart from ours, over real English prose.
/// </summary>
public class Llama2Tests
{
    // Meta's tokenizer, as llama-tokenizer-js's own tests record it: BOS, then the text with a space in front.
    [Theory]
    [InlineData("Hello", new[] { 1, 15043 })]
    [InlineData("grabbed", new[] { 1, 2646, 1327, 287 })]
    [InlineData(" grabbed", new[] { 1, 29871, 2646, 1327, 287 })]
    [InlineData("           grabbed", new[] { 1, 9651, 2646, 1327, 287 })]
    [InlineData("\n", new[] { 1, 29871, 13 })]
    [InlineData(" \n", new[] { 1, 259, 13 })]
    [InlineData("ax\n####\nboo", new[] { 1, 4853, 13, 4136, 13, 833, 29877 })]
    [InlineData("镇", new[] { 1, 29871, 30411 })]
    [InlineData("🦙", new[] { 1, 29871, 243, 162, 169, 156 })]
    public void Ids_are_llama_2s(string text, int[] ids)
    {
        var tokenizer = RealTokenizers.Llama2;
        Assert.Equal(ids, tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Real_prose_encodes_as_llama_tokenizer_js_encodes_it()
    {
        var tokenizer = RealTokenizers.Llama2;
        var texts = NodeEncoder.LicenceParagraphs();
        Assert.True(texts.Count > 500, $"/usr/share/common-licenses gave {texts.Count} paragraphs");

        var theirs = NodeEncoder.Encode("llama_tokenizer_js.mjs", Path.Combine(RealTokenizers.Folder("llama2"), "llama-tokenizer.js"), texts);

        var differences = NodeEncoder.Differences(texts, texts.Select(t => tokenizer.Encode(t)).ToList(), theirs, "llama-tokenizer-js");
        Assert.True(differences.Length == 0, differences);
    }
}
