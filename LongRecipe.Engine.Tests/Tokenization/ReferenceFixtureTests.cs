using LongRecipe.Engine.Tests.Support;
using System.Text;
using System.Text.Json;

namespace LongRecipe.Engine.Tests.Tokenization;

/// <summary>
/// Token-for-token agreement with HF tokenizers on the real tokenizer files, against the ids that
/// Reference/make_tokenizer_reference.py records (on a machine that has HF tokenizers) in the
/// committed Reference/tokenizer_reference.json. Skips where the real tokenizer files are absent, or the fixture
/// has no results for one yet.
/// </summary>
public class ReferenceFixtureTests
{
    private static string FixturePath => Path.Combine(
        Repository.Root ?? AppContext.BaseDirectory, "LongRecipe.Engine.Tests", "Tokenization", "Reference", "tokenizer_reference.json");

    [Theory]
    [InlineData("llama3")]
    [InlineData("llama2")]
    [InlineData("mistral")]
    public void Ids_and_decodings_match_hf_tokenizers(string name)
    {
        var tokenizer = RealTokenizers.Get(name);
        using var fixture = JsonDocument.Parse(File.ReadAllText(FixturePath));
        var texts = fixture.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToList();
        if (!fixture.RootElement.GetProperty("results").TryGetProperty(name, out var recorded))
            Assert.Skip($"{FixturePath} has no results for {name}: record them with scripts/gpu/run.sh tokenizer (HF tokenizers)");
        var results = recorded.EnumerateArray().ToList();
        Assert.Equal(texts.Count, results.Count);

        var failures = new List<string>();
        for (var i = 0; i < texts.Count; i++)
        {
            var expected = results[i];
            var ids = tokenizer.Encode(texts[i]);
            void Check<T>(string what, T want, T got)
            {
                if (!EqualityComparer<T>.Default.Equals(want, got))
                    failures.Add($"[{i}] {Escape(texts[i])}: {what}\n    HF:   {want}\n    ours: {got}");
            }
            Check("ids", Ids(expected.GetProperty("ids")), string.Join(' ', ids));
            Check("ids without special tokens", Ids(expected.GetProperty("ids_without_special")),
                string.Join(' ', tokenizer.Encode(texts[i], addSpecialTokens: false)));
            // Decode what HF encoded, so a decoding difference shows even where the ids differ.
            var hfIds = expected.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Check("decoded", Escape(expected.GetProperty("decoded").GetString()!), Escape(tokenizer.Decode(hfIds)));
            Check("decoded skipping special tokens", Escape(expected.GetProperty("decoded_skipping_special").GetString()!),
                Escape(tokenizer.Decode(hfIds, skipSpecialTokens: true)));
        }
        var version = fixture.RootElement.GetProperty("tokenizers_version").GetString();
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {4 * texts.Count} comparisons differ from HF tokenizers {version}:\n{string.Join('\n', failures)}");
    }

    private static string Ids(JsonElement ids) => string.Join(' ', ids.EnumerateArray().Select(e => e.GetInt32()));

    private static string Escape(string text)
    {
        var escaped = new StringBuilder("\"");
        foreach (var rune in text.EnumerateRunes())
            escaped.Append(rune.Value is < 0x20 or 0x7F ? $"\\u{rune.Value:X4}" : rune.ToString());
        return escaped.Append('"').ToString();
    }
}
