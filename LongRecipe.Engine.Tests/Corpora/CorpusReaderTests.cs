using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.Corpora;

public class CorpusReaderTests
{
    [Fact]
    public void The_three_jsonl_shapes_and_plain_text_are_read()
    {
        using var folder = new TempFolder();
        File.WriteAllLines(folder.File("mixed.jsonl"), [
            """{"text": "Alice went home."}""",
            "",
            """{"input_ids": [5, 0, 17]}""",
            """{"prompt": "Q: 2+2?", "response": " A: 4"}""",
        ]);
        File.WriteAllText(folder.File("book.txt"), "Once upon a time.\nThe end.");

        var documents = CorpusReader.Read(folder.File("mixed.jsonl")).ToList();
        Assert.Equal(3, documents.Count);
        Assert.Equal("Alice went home.", documents[0].TextToTokenize);
        Assert.Equal([5, 0, 17], documents[1].TokenIds!);
        Assert.Null(documents[1].TextToTokenize);
        Assert.Equal("Q: 2+2? A: 4", documents[2].TextToTokenize);
        Assert.Equal("Once upon a time.\nThe end.", Assert.Single(CorpusReader.Read(folder.File("book.txt"))).Text);
    }

    [Theory]
    [InlineData("""{"txt": "x"}""", "line 2: unknown field 'txt' (expected text, input_ids, or prompt and response)")]
    [InlineData("""{"text": 5}""", "line 2: field 'text' must be a string")]
    [InlineData("""{"input_ids": [1, -2]}""", "line 2: field 'input_ids'[1] must be a non-negative integer")]
    [InlineData("""{"input_ids": [1, 2.5]}""", "line 2: field 'input_ids'[1] must be a non-negative integer")]
    [InlineData("""{"prompt": "only half"}""", "line 2: field 'response' is missing (a pair needs both)")]
    [InlineData("""{"text": "a", "input_ids": [1]}""", "line 2: a line needs exactly one of text, input_ids, or prompt and response")]
    [InlineData("""{}""", "line 2: a line needs exactly one of text, input_ids, or prompt and response")]
    [InlineData("[1, 2]", "line 2: a line must be a JSON object")]
    [InlineData("{oops", "line 2: not valid JSON")]
    public void Malformed_lines_name_the_file_line_and_field(string badLine, string expected)
    {
        using var folder = new TempFolder();
        var path = folder.File("corpus.jsonl");
        File.WriteAllLines(path, ["""{"text": "fine"}""", badLine]);
        var e = Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(path).ToList());
        Assert.StartsWith($"{path}:", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_file_types_and_missing_files_are_named()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("data.csv"), "a,b");
        Assert.Contains("unsupported corpus file type '.csv'", Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.File("data.csv"))).Message);
        Assert.Contains("no such file", Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.File("gone.jsonl"))).Message);
    }
}
