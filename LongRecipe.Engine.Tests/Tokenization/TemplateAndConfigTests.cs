using LongRecipe.Engine.Tokenization;
using static LongRecipe.Engine.Tests.Tokenization.TinyTokenizer;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>The post-processor template, and what tokenizer_config.json changes.</summary>
public class TemplateAndConfigTests
{
    //                                             0      1      2      3
    private static readonly string[] Vocab = ["<s>", "</s>", "a", "b"];

    private static readonly object[] Specials = [Added(0, "<s>", special: true), Added(1, "</s>", special: true)];

    private static object Template(object single) => new
    {
        type = "TemplateProcessing",
        single,
        pair = "$A $B",
        special_tokens = new Dictionary<string, object>
        {
            ["<s>"] = new { id = "<s>", ids = new[] { 0 }, tokens = new[] { "<s>" } },
            ["</s>"] = new { id = "</s>", ids = new[] { 1 }, tokens = new[] { "</s>" } },
        },
    };

    // Llama-2's form: a list of {"SpecialToken": …} and {"Sequence": …} objects.
    private static readonly object Llama2Template = Template(new object[]
    {
        new { SpecialToken = new { id = "<s>", type_id = 0 } },
        new { Sequence = new { id = "A", type_id = 0 } },
    });

    [Fact]
    public void Template_adds_its_special_tokens_only_when_asked()
    {
        var tokenizer = Build(Vocab, Array.Empty<string>(), postProcessor: Llama2Template, addedTokens: Specials);
        Assert.Equal([0, 2, 3], tokenizer.Encode("ab"));
        Assert.Equal([2, 3], tokenizer.Encode("ab", addSpecialTokens: false));
        Assert.Equal([0], tokenizer.Encode(""));
        Assert.Equal(0, tokenizer.BosId);
        Assert.Null(tokenizer.EosId);
    }

    [Fact]
    public void Template_may_be_written_as_strings()
    {
        var tokenizer = Build(Vocab, Array.Empty<string>(), postProcessor: Template("<s> $A:0 </s>:0"), addedTokens: Specials);
        Assert.Equal([0, 2, 1], tokenizer.Encode("a"));
        Assert.Equal(1, tokenizer.EosId);
    }

    [Fact]
    public void Sequence_of_byte_level_and_template_applies_the_template()
    {
        var sequence = new { type = "Sequence", processors = new[] { new { type = "ByteLevel" }, Llama2Template } };
        var tokenizer = Build(Vocab, Array.Empty<string>(), postProcessor: sequence, addedTokens: Specials);
        Assert.Equal([0, 2], tokenizer.Encode("a"));
    }

    [Fact]
    public void Config_names_bos_and_eos_and_its_add_flags_replace_the_template()
    {
        var json = Json(Vocab, Array.Empty<string>(), postProcessor: Llama2Template, addedTokens: Specials);
        var named = Tokenizer.FromJson(json, configJson: """{"bos_token": "<s>", "eos_token": {"content": "</s>"}}""");
        Assert.Equal((0, 1), (named.BosId, named.EosId));
        Assert.Equal([0, 2], named.Encode("a"));

        var withEos = Tokenizer.FromJson(json, configJson: """{"bos_token": "<s>", "eos_token": "</s>", "add_eos_token": true}""");
        Assert.Equal([0, 2, 1], withEos.Encode("a"));
        Assert.Equal([2], withEos.Encode("a", addSpecialTokens: false));

        var withoutBos = Tokenizer.FromJson(json, configJson: """{"bos_token": "<s>", "add_bos_token": false}""");
        Assert.Equal([2], withoutBos.Encode("a"));
    }

    [Fact]
    public void Load_reads_a_folder_with_its_config()
    {
        var folder = Directory.CreateTempSubdirectory("tokenizer-test-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "tokenizer.json"),
                Json(Vocab, Array.Empty<string>(), addedTokens: Specials));
            File.WriteAllText(Path.Combine(folder.FullName, "tokenizer_config.json"),
                """{"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true}""");
            foreach (var path in (string[])[folder.FullName, Path.Combine(folder.FullName, "tokenizer.json")])
            {
                var tokenizer = Tokenizer.Load(path);
                Assert.Equal([0, 2, 3], tokenizer.Encode("ab"));
                Assert.Equal(1, tokenizer.EosId);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Lookups_cover_the_vocabulary_and_the_added_tokens()
    {
        var tokenizer = Build(Vocab, Array.Empty<string>(), addedTokens: [.. Specials, Added(7, "<extra>", special: true)]);
        Assert.Equal(8, tokenizer.VocabSize);
        Assert.Equal(7, tokenizer.TokenToId("<extra>"));
        Assert.Equal("<extra>", tokenizer.IdToToken(7));
        Assert.Equal("b", tokenizer.IdToToken(3));
        Assert.Null(tokenizer.IdToToken(5));
        Assert.Null(tokenizer.TokenToId("zz"));
        // Ids that are no token are skipped.
        Assert.Equal("a b", tokenizer.Decode([2, 5, 99, 3]));
    }
}
