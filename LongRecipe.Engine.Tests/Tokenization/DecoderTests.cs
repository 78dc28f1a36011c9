using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>Decoders on token lists, against HF's documented behaviour.</summary>
public class DecoderTests
{
    private static string Decode(IDecoder decoder, params string[] tokens) => string.Concat(decoder.DecodeChain([.. tokens]));

    [Fact]
    public void Byte_level_joins_bytes_across_tokens_and_replaces_what_is_not_utf8()
    {
        var decoder = new ByteLevelDecoder();
        Assert.Equal("Hello world", Decode(decoder, "Hello", "Ġworld"));
        Assert.Equal("é", Decode(decoder, "Ã", "©")); // C3 | A9
        Assert.Equal("\uFFFD!", Decode(decoder, "Ã", "!")); // C3 then '!': one replacement
        // A token with a character outside the mapping contributes its own UTF-8.
        Assert.Equal("<|x|>€", Decode(decoder, "<|x|>", "€"));
    }

    [Fact]
    public void Byte_fallback_spells_valid_runs_and_replaces_each_byte_of_invalid_ones()
    {
        var decoder = new ByteFallbackDecoder();
        Assert.Equal(["a", "é", "b"], decoder.DecodeChain(["a", "<0xC3>", "<0xA9>", "b"]));
        Assert.Equal(["\uFFFD", "\uFFFD", "b"], decoder.DecodeChain(["<0xE2>", "<0x82>", "b"]));
        Assert.Equal(["<0xZZ>", "<0x4>"], decoder.DecodeChain(["<0xZZ>", "<0x4>"]));
    }

    [Fact]
    public void Llama2_chain_turns_meta_spaces_into_spaces_and_drops_the_first()
    {
        var chain = new SequenceDecoder([
            new ReplaceDecoder(TextPattern.Literal("▁"), " "), new ByteFallbackDecoder(), new FuseDecoder(),
            new StripDecoder(" ", 1, 0)]);
        Assert.Equal("Hello world", Decode(chain, "▁Hello", "▁world"));
        Assert.Equal("  two spaces", Decode(chain, "▁▁", "▁two", "▁spaces"));
        Assert.Equal("<s> hi", Decode(chain, "<s>", "▁hi"));
    }

    [Fact]
    public void Strip_removes_at_most_the_counts_given()
    {
        Assert.Equal([" xx y  "], new StripDecoder(" ", 2, 1).DecodeChain(["   xx y   "]));
        Assert.Equal([""], new StripDecoder(" ", 1, 1).DecodeChain([" "]));
    }

    [Fact]
    public void Metaspace_decoder_drops_the_replacement_in_the_first_token_only()
    {
        Assert.Equal("Hey friend", Decode(new MetaspaceDecoder("▁", DropInFirstToken: true), "▁Hey", "▁friend"));
        Assert.Equal(" Hey friend", Decode(new MetaspaceDecoder("▁", DropInFirstToken: false), "▁Hey", "▁friend"));
    }
}
