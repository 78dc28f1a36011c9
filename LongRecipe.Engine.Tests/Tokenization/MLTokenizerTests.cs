using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Tokenization;
using ML = Microsoft.ML.Tokenizers;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// Our tokenizer.json reader behind Microsoft.ML.Tokenizers' interface, against ML.Tokenizers' own TiktokenTokenizer
/// built from the same Llama-3 file (its vocabulary as tiktoken ranks, its pre-tokenizer regex, its added tokens).
/// </summary>
public class MLTokenizerTests
{
    private static readonly Lazy<ML.TiktokenTokenizer> Tiktoken = new(BuildTiktoken);

    private static ML.Tokenizer Ours => new MLTokenizer(RealTokenizers.Llama3);

    /// <summary>Short synthetic documents and lines that stress the pre-tokenizer: digits, contractions, whitespace runs, non-Latin text, emoji, a special token.</summary>
    public static TheoryData<string> Texts()
    {
        var texts = new TheoryData<string>
        {
            "Hello world", "The pass key is 48213. Remember it.", "I'm sure they'll say we'd've won", "  leading and trailing  ",
            "tabs\tand\nnew\r\nlines\n\n\n", "12345678901234567890", "Größe, naïve café — “quoted”", "日本語のテキストと中文", "emoji 😀👍🏽 end",
            "<|begin_of_text|>text after a special token", "x", "", "don't.DON'T!!!  ??", "a=b+c*(d-e)/f; // code", "   ",
        };
        for (var i = 0; i < 45; i++) texts.Add(ShortDocument.Generate(new ShortDocumentSpec(20, 80, Seed: (ulong)i)).Text);
        return texts;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Ids_counts_and_decodes_agree_with_ml_tokenizers_tiktoken(string text)
    {
        var ours = Ours;
        var ids = ours.EncodeToIds(text);

        Assert.Equal(Tiktoken.Value.EncodeToIds(text), ids);
        Assert.Equal(RealTokenizers.Llama3.Encode(text, addSpecialTokens: false), ids);
        Assert.Equal(Tiktoken.Value.CountTokens(text), ours.CountTokens(text));
        Assert.Equal(Tiktoken.Value.Decode(ids), ours.Decode(ids));
        Assert.Equal(text, ours.Decode(ids));
    }

    [Theory]
    [InlineData("Hello world, this is a plain sentence with numbers 1234 and punctuation!")]
    [InlineData("I'm here;   spaces\nand lines.")]
    public void Offsets_and_truncation_agree_with_tiktoken_on_whole_characters(string text)
    {
        var ours = Ours.EncodeToTokens(text, out _);
        var theirs = Tiktoken.Value.EncodeToTokens(text, out _);

        Assert.Equal(theirs.Select(t => (t.Id, t.Offset)), ours.Select(t => (t.Id, t.Offset)));
        Assert.Equal(text, string.Concat(ours.Select(t => text[t.Offset])));

        var kept = Ours.EncodeToIds(text, 5, out _, out var consumed);
        var tiktokenKept = Tiktoken.Value.EncodeToIds(text, 5, out _, out var tiktokenConsumed);
        Assert.Equal(tiktokenKept, kept);
        Assert.Equal(tiktokenConsumed, consumed);
        Assert.Equal(ours[4].Offset.End.Value, consumed);
    }

    [Fact]
    public void The_template_adds_llama_2s_bos_over_no_text_and_offsets_cover_the_input()
    {
        const string text = "The special magic number for Lisbon is 7319.";
        var llama2 = new MLTokenizer(RealTokenizers.Llama2, addSpecialTokens: true);

        var tokens = llama2.EncodeToTokens(text, out _);

        Assert.Equal(RealTokenizers.Llama2.BosId, tokens[0].Id);
        Assert.Equal(new Range(0, 0), tokens[0].Offset);
        Assert.Equal(RealTokenizers.Llama2.Encode(text), tokens.Select(t => t.Id));
        Assert.Equal(text, string.Concat(tokens.Select(t => text[t.Offset])));
        Assert.Equal("▁Lis", tokens.First(t => text[t.Offset] == " Lis").Value);
    }

    [Fact]
    public void Decoding_into_a_short_buffer_writes_the_ids_that_fit()
    {
        const string text = "one two three four";
        var ours = Ours;
        var ids = ours.EncodeToIds(text);
        var buffer = new char[9];

        Assert.Equal(OperationStatus.DestinationTooSmall, ours.Decode(ids, buffer, out var consumed, out var written));
        Assert.Equal(("one two", 2), (new string(buffer, 0, written), consumed));
        Assert.Equal(OperationStatus.Done, ours.Decode(ids, new char[text.Length], out consumed, out written));
        Assert.Equal((ids.Count, text.Length), (consumed, written));
    }

    /// <summary>TiktokenTokenizer over Llama-3's tokenizer.json: each vocabulary entry's bytes (base64) and rank, the Split regex, the added tokens.</summary>
    private static ML.TiktokenTokenizer BuildTiktoken()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RealTokenizers.Folder("llama3"), "tokenizer.json")));
        var root = document.RootElement;
        var ranks = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var entry in root.GetProperty("model").GetProperty("vocab").EnumerateObject())
        {
            bytes.Clear();
            ByteLevel.AppendBytes(entry.Name, bytes);
            ranks.Append(Convert.ToBase64String([.. bytes])).Append(' ').Append(entry.Value.GetInt32()).Append('\n');
        }
        var specials = root.GetProperty("added_tokens").EnumerateArray()
            .ToDictionary(t => t.GetProperty("content").GetString()!, t => t.GetProperty("id").GetInt32());
        var pattern = root.GetProperty("pre_tokenizer").GetProperty("pretokenizers")[0].GetProperty("pattern").GetProperty("Regex").GetString()!;
        using var vocabulary = new MemoryStream(Encoding.UTF8.GetBytes(ranks.ToString()));
        return ML.TiktokenTokenizer.Create(vocabulary, new ML.RegexPreTokenizer(new Regex(pattern), specials), null, specials);
    }
}
