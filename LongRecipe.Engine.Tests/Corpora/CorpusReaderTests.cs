using System.Text.RegularExpressions;
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
    [InlineData("""{"text": "a\ud800b"}""", "line 2: field 'text' holds a lone surrogate")]
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
        Assert.Equal($"{folder.Path} is a folder, not a file", Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.Path)).Message);
    }
}

/// <summary>What is not clean text (issue 12.8): binary files refused, invalid UTF-8 reported, empty documents skipped with a warning.</summary>
public class CorpusReaderHygieneTests
{
    private static (List<CorpusDocument> Documents, List<CorpusWarning> Warnings) ReadAll(string path)
    {
        var warnings = new List<CorpusWarning>();
        return (CorpusReader.Read(path, warnings.Add).ToList(), warnings);
    }

    [Fact]
    public void Random_bytes_are_refused_as_binary_naming_the_file()
    {
        using var folder = new TempFolder();
        var bytes = new byte[200_000];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(folder.File("noise.txt"), bytes);

        var e = Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.File("noise.txt")).ToList());

        Assert.StartsWith($"{folder.File("noise.txt")}: binary data, not text (a NUL byte at offset {Array.IndexOf(bytes, (byte)0)})", e.Message);
    }

    [Fact]
    public void Bytes_that_are_mostly_not_utf8_are_refused_and_a_few_in_text_are_replaced()
    {
        using var folder = new TempFolder();
        // High bytes only: no NUL, no control byte, and hardly a valid UTF-8 sequence among them.
        var noise = new byte[100_000];
        new Random(3).NextBytes(noise);
        for (var i = 0; i < noise.Length; i++) noise[i] |= 0x80;
        File.WriteAllBytes(folder.File("high.txt"), noise);
        var e = Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.File("high.txt")).ToList());
        Assert.Matches($@"^{Regex.Escape(folder.File("high.txt"))}: binary data, not text \(([1-9]\d|100)% of its first 65,536 bytes are not UTF-8; " +
                       @"text in another encoding must be converted to UTF-8 first\)", e.Message);

        // Latin-1 French: its accented letters are the only invalid bytes, far under a tenth.
        File.WriteAllBytes(folder.File("latin1.txt"), System.Text.Encoding.Latin1.GetBytes(string.Concat(Enumerable.Repeat("Le café est très bon. ", 50))));
        var warnings = new List<CorpusWarning>();
        Assert.Contains("caf�", Assert.Single(CorpusReader.Read(folder.File("latin1.txt"), warnings.Add)).Text);
        Assert.Equal($"{folder.File("latin1.txt")}: 100 invalid UTF-8 bytes replaced by U+FFFD, on line 1", Assert.Single(warnings).ToString());
    }

    [Fact]
    public void Control_bytes_without_a_nul_are_refused_when_they_are_over_a_tenth_of_the_start()
    {
        using var folder = new TempFolder();
        // 12 of every 100 bytes are escape characters: 12%.
        var bytes = Enumerable.Range(0, 10_000).Select(i => i % 100 < 12 ? (byte)0x1B : (byte)'a').ToArray();
        File.WriteAllBytes(folder.File("escapes.txt"), bytes);
        // 8%: still text.
        File.WriteAllBytes(folder.File("few.txt"), [.. Enumerable.Range(0, 10_000).Select(i => i % 100 < 8 ? (byte)0x1B : (byte)'a')]);

        var e = Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.File("escapes.txt")).ToList());
        Assert.Equal($"{folder.File("escapes.txt")}: binary data, not text (12% control bytes in its first 10,000); "
                     + "a corpus source is UTF-8 text (.txt, or .jsonl with one JSON object per line)", e.Message);
        Assert.Single(CorpusReader.Read(folder.File("few.txt")));
    }

    [Fact]
    public void A_nul_byte_past_the_sampled_start_is_refused_naming_its_line()
    {
        using var folder = new TempFolder();
        var line = """{"text": "fine"}""" + "\n";
        File.WriteAllText(folder.File("late.jsonl"), string.Concat(Enumerable.Repeat(line, 5000)) + "{\"text\": \"a\0b\"}\n");

        var e = Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.File("late.jsonl")).ToList());

        Assert.Equal($"{folder.File("late.jsonl")}: line 5001: binary data, not text (a NUL byte)", e.Message);
    }

    [Fact]
    public void Invalid_utf8_is_replaced_and_reported_with_the_count_and_the_lines()
    {
        using var folder = new TempFolder();
        // Line 2: two stray bytes (two replacements); line 4: a sequence cut short (one); line 3 is valid "é".
        File.WriteAllBytes(folder.File("bad.jsonl"), [
            .. "{\"text\": \"ok\"}\n"u8, .. "{\"text\": \"a"u8, 0xFF, 0xFE, .. "b\"}\n"u8, .. "{\"text\": \"caf"u8, 0xC3, 0xA9, .. "\"}\n"u8,
            .. "{\"text\": \"end"u8, 0xE2, 0x82, .. "\"}\n"u8,
        ]);

        var (documents, warnings) = ReadAll(folder.File("bad.jsonl"));

        Assert.Equal(["ok", "a\uFFFD\uFFFDb", "café", "end\uFFFD"], documents.Select(d => d.Text));
        var warning = Assert.Single(warnings);
        Assert.Equal($"{folder.File("bad.jsonl")}: 4 invalid UTF-8 bytes replaced by U+FFFD, on lines 2, 4", warning.ToString());
    }

    [Fact]
    public void Empty_documents_are_skipped_with_a_warning_naming_the_line()
    {
        using var folder = new TempFolder();
        File.WriteAllLines(folder.File("some.jsonl"), ["""{"text": "kept"}""", """{"text": "  "}""", """{"input_ids": []}""", """{"prompt": "", "response": ""}"""]);
        File.WriteAllText(folder.File("empty.txt"), "\n \n");

        var (documents, warnings) = ReadAll(folder.File("some.jsonl"));
        var (none, emptyWarnings) = ReadAll(folder.File("empty.txt"));

        Assert.Equal(["kept"], documents.Select(d => d.Text));
        Assert.Equal([2, 3, 4], warnings.Select(w => w.Line!.Value));
        Assert.All(warnings, w => Assert.Equal("empty document, skipped", w.Message));
        Assert.Empty(none);
        Assert.Equal($"{folder.File("empty.txt")}: empty document, skipped", Assert.Single(emptyWarnings).ToString());
    }

    [Fact]
    public void Text_files_keep_their_line_endings_and_lose_only_a_byte_order_mark()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("crlf.txt"), [0xEF, 0xBB, 0xBF, .. "one\r\ntwo\r\n"u8]);

        Assert.Equal("one\r\ntwo\r\n", Assert.Single(CorpusReader.Read(folder.File("crlf.txt"))).Text);
    }

    [Theory]
    [InlineData("utf-16", "UTF-16LE")]
    [InlineData("utf-16BE", "UTF-16BE")]
    [InlineData("utf-32", "UTF-32LE")]
    public void Text_in_utf16_or_utf32_is_named_by_its_byte_order_mark_not_called_binary(string encoding, string named)
    {
        using var folder = new TempFolder();
        var text = System.Text.Encoding.GetEncoding(encoding);
        File.WriteAllBytes(folder.File("notes.jsonl"), [.. text.GetPreamble(), .. text.GetBytes("""{"text": "hello"}""")]);

        var e = Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.File("notes.jsonl")).ToList());

        Assert.Equal($"{folder.File("notes.jsonl")}: {named} text (its byte order mark), not UTF-8; convert it first, e.g. iconv -f {named} -t UTF-8", e.Message);
    }

    [Fact]
    public void A_real_corpus_line_imports_its_text_and_its_description_alone_is_refused()
    {
        using var folder = new TempFolder();
        File.WriteAllLines(folder.File("corpus.jsonl"), ["""{"id": "kjv/ruth", "source": "kjv", "title": "Ruth", "text": "Now it came to pass."}"""]);
        File.WriteAllLines(folder.File("bad.jsonl"), ["""{"id": "kjv/ruth", "input_ids": [1, 2]}"""]);

        Assert.Equal("Now it came to pass.", Assert.Single(CorpusReader.Read(folder.File("corpus.jsonl"))).Text);
        Assert.Contains("line 1: id, source and title describe a text; the line has no 'text'",
            Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(folder.File("bad.jsonl")).ToList()).Message);
    }
}
