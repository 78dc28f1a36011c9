using System.Diagnostics;
using System.Text.Json;
using LongRecipe.Engine.Tests.Support;

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
        var encoder = Path.Combine(RealTokenizers.Folder("llama2"), "llama-tokenizer.js");
        if (!File.Exists(encoder)) Assert.Skip($"{encoder} is missing: run scripts/ensure-deps.sh --test to fetch it");

        // The licences every Debian and Ubuntu system carries, a paragraph each: English prose, legal and technical,
        // with quotes, numbers, brackets and line breaks inside the paragraphs.
        var texts = Directory.EnumerateFiles("/usr/share/common-licenses")
            .Where(f => !Directory.Exists(f) && new FileInfo(f).LinkTarget is null)
            .Order(StringComparer.Ordinal)
            .SelectMany(f => File.ReadAllText(f).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Trim().Length > 0)
            .ToList();
        Assert.True(texts.Count > 500, $"/usr/share/common-licenses gave {texts.Count} paragraphs");

        var theirs = LlamaTokenizerJs(encoder, texts);

        var differences = texts.Select((text, i) => (text, i)).Where(t => !tokenizer.Encode(t.text).SequenceEqual(theirs[t.i])).ToList();
        Assert.True(differences.Count == 0,
            $"{differences.Count} of {texts.Count} paragraphs differ, the first: {JsonSerializer.Serialize(differences.FirstOrDefault().text)}\n" +
            $"  llama-tokenizer-js: {string.Join(' ', differences.Select(d => theirs[d.i]).FirstOrDefault() ?? [])}\n" +
            $"  ours:               {string.Join(' ', differences.Select(d => tokenizer.Encode(d.text)).FirstOrDefault() ?? [])}");
    }

    private static int[][] LlamaTokenizerJs(string encoder, IReadOnlyList<string> texts)
    {
        var script = Path.Combine(Repository.Root ?? AppContext.BaseDirectory, "LongRecipe.Engine.Tests", "Tokenization", "Reference", "llama_tokenizer_js.mjs");
        var start = new ProcessStartInfo("node", [script, encoder])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        Process node;
        try
        {
            node = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("node is not installed: scripts/ensure-deps.sh --test installs npm, which brings it");
            throw;
        }
        using (node)
        {
            var error = node.StandardError.ReadToEndAsync();
            var output = node.StandardOutput.ReadToEndAsync();
            node.StandardInput.Write(JsonSerializer.Serialize(texts));
            node.StandardInput.Close();
            node.WaitForExit();
            Assert.True(node.ExitCode == 0, $"node {script} failed ({node.ExitCode}): {error.Result}");
            return JsonSerializer.Deserialize<int[][]>(output.Result)!;
        }
    }
}
