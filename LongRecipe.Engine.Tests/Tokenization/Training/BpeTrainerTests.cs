using System.Text;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Tokenization.Training;

namespace LongRecipe.Engine.Tests.Tokenization.Training;

/// <summary>Byte-level BPE training: merges by hand, the saved files, round trips and limits.</summary>
public class BpeTrainerTests
{
    private static readonly BpeTrainingSpec Roomy = new(VocabSize: 400);

    [Fact]
    public void Merges_the_most_frequent_pair_first_counting_overlaps()
    {
        // One piece "aaabdaaabac": pairs aa×4 (overlapping), ab×2, bd, da, ba, ac.
        // 1) a+a → "aa a b d aa a b a c": (aa,a)×2 and (a,b)×2 tie; "a" < "aa", so
        // 2) a+b → "aa ab d aa ab a c": (aa,ab)×2, the rest once
        // 3) aa+ab → "aaab d aaab a c": every pair once, below the minimum frequency of 2.
        var trained = Train(["aaabdaaabac"], Roomy);
        Assert.Equal([("a", "a"), ("a", "b"), ("aa", "ab")], trained.Merges);
        Assert.Equal(["aa", "ab", "aaab"], trained.Tokens.Skip(256));
    }

    [Fact]
    public void Counts_pairs_over_piece_frequencies_and_breaks_ties_by_token_order()
    {
        // Pieces "ab", "Ġab"×2, "Ġcd"×2: (a,b)×3 first; then (Ġ,ab), (Ġ,c), (c,d) all ×2 and "c" < "Ġ" (U+0120),
        // so c+d; then (Ġ,ab) and (Ġ,cd) ×2 and "ab" < "cd".
        var trained = Train(["ab ab ab cd cd"], Roomy);
        Assert.Equal([("a", "b"), ("c", "d"), ("Ġ", "ab"), ("Ġ", "cd")], trained.Merges);
    }

    [Fact]
    public void The_base_alphabet_is_the_256_byte_symbols_and_special_tokens_take_the_last_ids()
    {
        var trained = Train(["hello"], Roomy);
        Assert.Equal(256, trained.Tokens.Take(256).Distinct().Count());
        Assert.Equal("Ġ", trained.Tokens[' ']);
        Assert.Equal("A", trained.Tokens['A']);
        Assert.Equal(trained.Tokens.Count, trained.SpecialId("<|begin_of_text|>"));
        Assert.Equal(trained.Tokens.Count + 2, trained.SpecialId("<|pad|>"));
    }

    [Fact]
    public void Stops_at_the_vocab_size_and_every_merge_is_made_of_tokens()
    {
        var texts = SyntheticTrainingTexts.Generate(documents: 2, seed: 1, words: 600).ToList();
        var trained = Train(texts, new BpeTrainingSpec(VocabSize: 700));
        Assert.Equal(700, trained.VocabSize);
        var vocab = trained.Tokens.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(trained.Tokens.Count, vocab.Count);
        foreach (var (left, right) in trained.Merges)
        {
            Assert.Contains(left, vocab);
            Assert.Contains(right, vocab);
            Assert.Contains(left + right, vocab);
        }
    }

    [Fact]
    public void The_same_texts_give_the_same_files()
    {
        var texts = SyntheticTrainingTexts.Generate(documents: 1, seed: 7, words: 400).ToList();
        var spec = new BpeTrainingSpec(VocabSize: 500);
        Assert.Equal(Train(texts, spec).TokenizerJson(), Train(texts, spec).TokenizerJson());
        Assert.NotEqual(Train(texts, spec).TokenizerJson(),
            Train(SyntheticTrainingTexts.Generate(documents: 1, seed: 8, words: 400), spec).TokenizerJson());
    }

    [Fact]
    public void The_saved_tokenizer_loads_and_encodes_the_training_text_into_fewer_tokens_than_bytes()
    {
        var texts = SyntheticTrainingTexts.Generate(documents: 2, seed: 3, words: 600).ToList();
        var trained = Train(texts, new BpeTrainingSpec(VocabSize: 600, ModelMaxLength: 4096));
        using var folder = new TempFolder();
        trained.Save(folder.Path);
        Assert.Equal([folder.File("tokenizer.json"), folder.File("tokenizer_config.json")], folder.Files());

        var tokenizer = Tokenizer.Load(folder.Path);
        Assert.Equal(600, tokenizer.VocabSize);
        Assert.Equal(trained.SpecialId("<|begin_of_text|>"), tokenizer.BosId);
        Assert.Equal(trained.SpecialId("<|end_of_text|>"), tokenizer.EosId);
        var text = texts[0];
        var ids = tokenizer.Encode(text, addSpecialTokens: false);
        Assert.True(ids.Length < Encoding.UTF8.GetByteCount(text) / 2, $"{ids.Length} tokens for {Encoding.UTF8.GetByteCount(text)} bytes");
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal([tokenizer.BosId!.Value, .. ids], tokenizer.Encode(text));
    }

    [Theory]
    [InlineData("Ünïcödé naïve café — 日本語のテキスト")]
    [InlineData("emoji 🦙🚀 and 👩‍👩‍👧 families")]
    [InlineData("digits 1234567890 3.14159 -42")]
    [InlineData("  leading, trailing  \n\n\ttabs and\r\nnewlines   ")]
    [InlineData("<|begin_of_text|>special<|end_of_text|><|pad|>")]
    public void Encode_then_decode_gives_the_text_back(string text)
    {
        var trained = Train(SyntheticTrainingTexts.Generate(documents: 1, seed: 2, words: 400), new BpeTrainingSpec(VocabSize: 450));
        var tokenizer = Tokenizer.FromJson(trained.TokenizerJson());
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: false)));
    }

    [Fact]
    public void Special_tokens_in_the_texts_are_not_learned_as_text()
    {
        var trained = Train(Enumerable.Repeat("<|pad|><|pad|>", 10), new BpeTrainingSpec(VocabSize: 400, MinFrequency: 1));
        Assert.Empty(trained.Merges);
    }

    [Fact]
    public void Reports_progress_and_stops_when_cancelled()
    {
        var reports = new List<BpeTrainingProgress>();
        var texts = SyntheticTrainingTexts.Generate(documents: 1, seed: 4, words: 400).ToList();
        Train(texts, new BpeTrainingSpec(VocabSize: 300), new Recorder(reports));
        Assert.Equal(texts.Count, reports.Count(r => r.Phase == "counting"));
        var merging = reports.Where(r => r.Phase == "merging").ToList();
        Assert.Equal(Enumerable.Range(1, merging.Count).Select(i => (long)i), merging.Select(r => r.Done));
        Assert.All(merging, r => Assert.Equal(300 - 3 - 256, r.Total));

        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => BpeTrainer.Train(texts, Roomy, null, cancel.Token));
    }

    [Fact]
    public void Validation_names_the_field()
    {
        Assert.Equal("VocabSize", Assert.Throws<ArgumentException>(() => new BpeTrainingSpec(VocabSize: 258).Validate()).ParamName);
        Assert.Equal("MinFrequency", Assert.Throws<ArgumentException>(() => new BpeTrainingSpec(MinFrequency: 0).Validate()).ParamName);
        Assert.Equal("PadToken", Assert.Throws<ArgumentException>(() => new BpeTrainingSpec(PadToken: "").Validate()).ParamName);
        Assert.Equal("SpecialTokens", Assert.Throws<ArgumentException>(() => new BpeTrainingSpec(PadToken: "<|end_of_text|>").Validate()).ParamName);
    }

    private static TrainedBpe Train(IEnumerable<string> texts, BpeTrainingSpec spec, IProgress<BpeTrainingProgress>? progress = null) =>
        BpeTrainer.Train(texts, spec, progress, TestContext.Current.CancellationToken);

    private sealed class Recorder(List<BpeTrainingProgress> reports) : IProgress<BpeTrainingProgress>
    {
        public void Report(BpeTrainingProgress value) => reports.Add(value);
    }
}
