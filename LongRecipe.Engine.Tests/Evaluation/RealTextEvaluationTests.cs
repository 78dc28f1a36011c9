using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Tests.Corpora.Packages;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;
using static LongRecipe.Engine.Tests.Evaluation.EvaluationFixtures;

namespace LongRecipe.Engine.Tests.Evaluation;

/// <summary>Evaluation on a real-text corpus's held-out split: needle haystacks of real text, perplexity on its documents.</summary>
public class RealTextEvaluationTests
{
    [Theory]
    [InlineData(0, 0, "NEEDLE. Aa b. Cc d? Ee f.\nGg h")]
    [InlineData(50, 12, "Aa b. Cc d? NEEDLE. Ee f.\nGg h")]       // the target, 11 characters in, is nearest "Ee" at 12
    [InlineData(80, 18, "Aa b. Cc d? Ee f.\nNEEDLE. Gg h")]       // 17.6: after the line break
    [InlineData(100, 18, "Aa b. Cc d? Ee f.\nNEEDLE. Gg h")]      // "Gg h" is cut short: the needle goes before it
    public void The_needle_goes_at_the_sentence_boundary_nearest_its_depth(double depth, int needleChar, string context)
    {
        var (actual, at) = TextHaystack.Insert("Aa b. Cc d? Ee f.\nGg h", "NEEDLE.", depth);

        Assert.Equal((context, needleChar), (actual, at));
        Assert.Equal(("One. Two. NEEDLE.", 10), TextHaystack.Insert("One. Two.", "NEEDLE.", 100));
    }

    [Fact]
    public void Sentence_boundaries_follow_closing_quotes_and_brackets_but_not_inner_full_stops()
    {
        const string text = "He said \"Stop.\" Then (he left.) Soon 3.5 km.";
        Assert.Equal([0, 16, 32, text.Length], TextHaystack.Boundaries(text));
    }

    [Fact]
    public void A_prefix_of_tokens_ends_at_a_word_boundary()
    {
        var text = PackageFixtures.Prose(1, 60);
        var ids = Tokenizer.Encode(text, addSpecialTokens: false);

        foreach (var tokens in new[] { 5, 17, 40, ids.Length - 1 })
        {
            var prefix = TextHaystack.Prefix(Tokenizer, ids, tokens);
            Assert.StartsWith(prefix, text);
            Assert.True(prefix.Length == text.Length || text[prefix.Length] == ' ', $"the prefix of {tokens} tokens ends inside a word: '{prefix}'");
            Assert.InRange(Tokenizer.Encode(prefix, addSpecialTokens: false).Length, 1, tokens);
        }
        Assert.Equal(text, TextHaystack.Prefix(Tokenizer, ids, ids.Length + 10));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(100)]
    public void A_needle_prompt_in_real_text_fills_the_context_and_holds_the_answer_once(double depth)
    {
        var document = PackageFixtures.Prose(2, 600);
        const int length = 256;

        var prompt = RetrievalPrompts.NeedleInText(Tokenizer, length, depth, NeedleKind.MagicNumber, seed: 9, document);

        var text = Tokenizer.Decode([.. prompt.Ids.Select(id => (int)id)], skipSpecialTokens: true);
        var (needle, question, answer) = NeedleSample.NeedleFor(NeedleKind.MagicNumber, 9, document);
        Assert.InRange(prompt.Ids.Length + prompt.AnswerIds.Length, length - 12, length);
        Assert.Equal(answer, prompt.Answer);
        Assert.Equal(2, text.Split(answer).Length);
        var at = text.IndexOf(needle, StringComparison.Ordinal);
        Assert.True(at >= 0, "the needle sentence is in the prompt");
        // The haystack is the document's beginning, the needle at a sentence start within it.
        var haystack = text[..text.IndexOf("\n\n" + question, StringComparison.Ordinal)].Remove(at, needle.Length + (at == 0 ? 1 : 0));
        Assert.StartsWith(haystack.Replace("  ", " ").TrimEnd(), document);
        Assert.True(at == 0 || text[..at].EndsWith(". ", StringComparison.Ordinal), $"the needle at {at} follows a sentence's end");
        Assert.EndsWith($"\n\n{question}\nAnswer: {needle[..needle.IndexOf(answer, StringComparison.Ordinal)].TrimEnd()}", text);
    }

    [Fact]
    public void A_needle_whose_answer_the_text_already_holds_is_drawn_again()
    {
        var (_, _, answer) = NeedleSample.NeedleFor(NeedleKind.MagicNumber, 3, "");
        var (_, _, other) = NeedleSample.NeedleFor(NeedleKind.MagicNumber, 3, $"The text mentions {answer} itself.");
        Assert.NotEqual(answer, other);
    }

    [Fact]
    public void Perplexity_windows_are_the_split_documents_first_tokens_and_too_few_long_ones_are_named()
    {
        using var folder = new TempFolder();
        var corpus = RealCorpusFixture.Prose(folder.Path, perSplit: 4, words: 200);
        var text = HeldOutText.Load(corpus, CorpusSplit.Validation, Tokenizer, TestContext.Current.CancellationToken);

        var windows = text.Windows(128, 3, seed: 5);

        var validation = RealCorpus.Open(corpus).Documents(CorpusSplit.Validation, TestContext.Current.CancellationToken)
            .Select(d => Tokenizer.Encode(d.Text, addSpecialTokens: true).Take(128).Select(id => (long)id).ToArray()).ToList();
        Assert.Equal(3, windows.Count);
        Assert.All(windows, w => Assert.Contains(validation, v => v.SequenceEqual(w)));
        Assert.Equal(3, windows.Select(w => string.Join(',', w)).Distinct().Count());
        Assert.Equal(windows, text.Windows(128, 3, seed: 5));
        var e = Assert.Throws<ArgumentException>(() => text.Windows(128, 5, seed: 5));
        Assert.Equal($"the validation split of {corpus} holds 4 documents of 128 tokens or more, 5 asked (ask fewer, or shorter lengths)", e.Message);
    }

    [Fact]
    public void An_evaluation_on_real_text_streams_the_same_cells_and_measures_the_split_asked()
    {
        using var folder = new TempFolder();
        var corpus = RealCorpusFixture.Prose(folder.Path, perSplit: 3, words: 300);
        using var model = TinyModel();
        var spec = new EvaluationSpec(Benchmarks.All, [128], [0, 100], NeedlesPerCell: 1, PasskeySamples: 1, PerplexityDocuments: 2, ShortDocuments: 2,
            ShortContextLength: 64, Seed: 3, Corpus: corpus);
        var cancel = TestContext.Current.CancellationToken;
        List<EvalEvent> Evaluate(EvaluationSpec evaluation)
        {
            var events = new List<RunEvent>();
            Evaluator.Evaluate(model, Tokenizer, evaluation, events.Add, cancel: cancel);
            return [.. events.OfType<EvalEvent>()];
        }

        var test = Evaluate(spec);
        var validation = Evaluate(spec with { Split = CorpusSplit.Validation });
        var synthetic = Evaluate(spec with { Corpus = null });

        Assert.Equal(synthetic.Select(e => (e.Benchmark, e.ContextLength, e.Depth, e.Metric, e.Samples)), test.Select(e => (e.Benchmark, e.ContextLength, e.Depth, e.Metric, e.Samples)));
        double Perplexity(List<EvalEvent> events) => events.Single(e => e.Benchmark == Benchmarks.Perplexity && e.Metric == "perplexity").Value;
        Assert.NotEqual(Perplexity(test), Perplexity(validation));
        Assert.NotEqual(Perplexity(test), Perplexity(synthetic));
        // Passkeys keep their synthetic filler: the same values whatever the corpus.
        Assert.Equal(synthetic.Where(e => e.Benchmark == Benchmarks.Passkey).Select(e => e.Value), test.Where(e => e.Benchmark == Benchmarks.Passkey).Select(e => e.Value));

        // A model with uniform logits has a perplexity of exactly its vocabulary on any text.
        using (new NoGradScope()) model.Parameters["lm_head.weight"].Zero();
        var uniform = Evaluate(spec with { Suites = [Benchmarks.Perplexity, Benchmarks.ShortPerplexity] }).Where(e => e.Metric == "perplexity").ToList();
        Assert.Equal(2, uniform.Count);
        Assert.All(uniform, e => Expect.Close(model.Config.VocabSize, e.Value, 1e-5, e.Benchmark));
    }

    [Fact]
    public void The_train_split_is_refused_for_evaluation()
    {
        var spec = EvaluationSpec.Default with { Corpus = "x", Split = CorpusSplit.Train };
        Assert.Equal("Split", Assert.Throws<ArgumentException>(() => spec.Validate()).ParamName);
    }
}
