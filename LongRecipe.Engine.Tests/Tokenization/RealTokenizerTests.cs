using System.Text.Json;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// The real Llama-3 and Llama-2 tokenizers on facts that can be checked without HF: ids read from the
/// vocabulary in the file itself, and decode(encode(x)) == x. Skip when the files are not fetched.
/// </summary>
public class RealTokenizerTests
{
    // The vocabulary as the file states it, read here without the tokenizer's own reader.
    private static Dictionary<string, int> Vocab(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RealTokenizers.Folder(name), "tokenizer.json")));
        return document.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    [Fact]
    public void Llama3_encodes_well_known_words_as_their_vocabulary_entries()
    {
        var tokenizer = RealTokenizers.Llama3;
        var vocab = Vocab("llama3");
        Assert.Equal([vocab["Hello"]], tokenizer.Encode("Hello"));
        Assert.Equal([vocab["Ġworld"]], tokenizer.Encode(" world"));
        Assert.Equal([vocab["Hello"], vocab["Ġworld"], vocab["!"]], tokenizer.Encode("Hello world!"));
        Assert.Equal([vocab["123"], vocab["456"], vocab["7"]], tokenizer.Encode("1234567"));
        Assert.Equal([vocab["ĊĊ"]], tokenizer.Encode("\n\n"));
    }

    [Fact]
    public void Llama3_special_tokens_and_ids()
    {
        var tokenizer = RealTokenizers.Llama3;
        Assert.Equal(128000, tokenizer.TokenToId("<|begin_of_text|>"));
        Assert.Equal("<|eot_id|>", tokenizer.IdToToken(128009));
        Assert.Equal((128000, 128001), (tokenizer.BosId, tokenizer.EosId));
        Assert.Equal(128256, tokenizer.VocabSize);
        Assert.Equal([128000, Vocab("llama3")["hello"], 128009],
            tokenizer.Encode("<|begin_of_text|>hello<|eot_id|>", addSpecialTokens: false));
        // This file's post-processor is ByteLevel alone (the first Llama-3 release): HF adds no BOS.
        Assert.Equal(tokenizer.Encode("Hello", addSpecialTokens: false), tokenizer.Encode("Hello"));
        Assert.Equal("hello", tokenizer.Decode([128000, Vocab("llama3")["hello"], 128009], skipSpecialTokens: true));
    }

    [Theory]
    [InlineData("llama2")]
    [InlineData("mistral")]
    public void Llama2_format_adds_bos_and_spells_unknown_characters_in_bytes(string name)
    {
        var tokenizer = RealTokenizers.Get(name);
        var vocab = Vocab(name);
        Assert.Equal((1, 2, 32000), (tokenizer.BosId, tokenizer.EosId, tokenizer.VocabSize));
        Assert.Equal([1, vocab["▁Hello"]], tokenizer.Encode("Hello"));
        Assert.Equal([vocab["▁Hello"], vocab["▁world"]], tokenizer.Encode("Hello world", addSpecialTokens: false));
        // 🦙 (F0 9F A6 99) is not in either vocabulary; 镇 is.
        Assert.Equal([vocab["▁"], vocab["<0xF0>"], vocab["<0x9F>"], vocab["<0xA6>"], vocab["<0x99>"]],
            tokenizer.Encode("🦙", addSpecialTokens: false));
        Assert.Equal([vocab["▁"], vocab["镇"]], tokenizer.Encode("镇", addSpecialTokens: false));
        Assert.Equal([1], tokenizer.Encode(""));
        Assert.Equal(1, tokenizer.Encode("<s>[INST] hi [/INST]", addSpecialTokens: false)[0]);
        // HF's Strip decoder removes the space the normalizer put in front.
        Assert.Equal("Hello world", tokenizer.Decode(tokenizer.Encode("Hello world"), skipSpecialTokens: true));
        Assert.Equal("<s> Hello", tokenizer.Decode(tokenizer.Encode("Hello")));
    }

    public static readonly TheoryData<string, string> RoundTrips = BuildRoundTrips();

    private static TheoryData<string, string> BuildRoundTrips()
    {
        string[] texts =
        [
            "", " ", "Hello world", "  leading", "trailing  ", "a  b   c", "tabs\tand\t\ttabs", "one\ntwo\n\n\nfive",
            "windows\r\nends\r\n", "\n\n  \n\t \n", "Café naïve résumé", "e\u0301 and \u0301\u0308 marks",
            "中文分词测试：你好，世界！", "مرحبا بالعالم", "Привет, мир!", "👨\u200d👩\u200d👧\u200d👦 👍🏽 🇫🇷",
            "𝐀𝐁𝐂 𝟏𝟐𝟑𝟒 𠀀", "1234567 3.14159 2024-09-03", "def f(x):\n    return x ** 2\n",
            "{\"k\": [1, 2.5, null]}", "https://example.com/a?b=c#d", "I'm sure they'RE here",
            "\u0000 null \u0007 bell \u007f del", "non\u00a0breaking\u3000space", new string('a', 300),
        ];
        var data = new TheoryData<string, string>();
        foreach (var name in (string[])["llama3", "llama2", "mistral"])
            foreach (var text in texts) data.Add(name, text);
        // Byte-level BPE is lossless even for special tokens and meta spaces written in the text.
        data.Add("llama3", "<|begin_of_text|>hello<|eot_id|>");
        data.Add("llama3", "▁ meta ▁▁");
        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Decode_inverts_encode(string name, string text)
    {
        var tokenizer = RealTokenizers.Get(name);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: false)));
        if (!text.Contains("<|"))
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text), skipSpecialTokens: true));
    }

    [Fact]
    public void Concurrent_encoding_agrees_with_sequential()
    {
        var tokenizer = RealTokenizers.Llama3;
        var texts = Enumerable.Range(0, 400).Select(i => $"Document {i}: the {i % 7} quick foxes jumped over {i * 31} lazy dogs, again.").ToArray();
        var sequential = texts.Select(t => tokenizer.Encode(t)).ToArray();
        var concurrent = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => concurrent[i] = tokenizer.Encode(texts[i]));
        Assert.Equal(sequential, concurrent);
    }
}
