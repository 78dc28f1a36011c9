using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tests.Tokenization;
using LongRecipe.Engine.Recipes;

namespace LongRecipe.Engine.Tests.Recipes;

/// <summary>The built-in pretraining data, tokenized with the real Llama-3 tokenizer.</summary>
public class PretrainingDataTests
{
    [Fact]
    public void Sequences_have_the_length_and_retrieval_samples_end_in_their_answer()
    {
        var tokenizer = RealTokenizers.Llama3;
        using var folder = new TempFolder();
        var spec = new PretrainingDataSpec(SequenceLength: 96, Tokens: 96 * 24, Seed: 3);

        var sequences = PretrainingData.Build(spec, RealTokenizers.Folder("llama3"), folder.Path, cancel: TestContext.Current.CancellationToken);

        Assert.All(sequences, s => Assert.Equal(96, s.Length));
        var end = tokenizer.EosId!.Value;
        var texts = sequences.Select(s => tokenizer.Decode(s.Reverse().SkipWhile(id => id == end).Reverse().ToArray())).ToList();
        var passkeys = texts.Where(t => t.Contains(PasskeySample.QuestionText, StringComparison.Ordinal)).ToList();
        var needles = texts.Where(t => t.Contains("\nAnswer: ", StringComparison.Ordinal)).ToList();
        var others = texts.Count - passkeys.Count - needles.Count;
        // Mixed in before a main sequence with probability 0.25: about a fifth of the whole, passkeys and needles alternately.
        Assert.InRange(passkeys.Count, 1, others);
        Assert.InRange(needles.Count, 1, others);
        Assert.All(passkeys, text =>
        {
            var answer = text[^5..];
            Assert.Matches("^[0-9]{5}$", answer);
            Assert.Contains($"The pass key is {answer}. Remember it. {answer} is the pass key.", text);
            Assert.EndsWith($"{PasskeySample.QuestionText} {answer}", text);
        });

        // The same seed gives the same data; another seed other data.
        using var again = new TempFolder();
        Assert.Equal(sequences, PretrainingData.Build(spec, RealTokenizers.Folder("llama3"), again.Path, cancel: TestContext.Current.CancellationToken));
        Assert.NotEqual(sequences, PretrainingData.Build(spec with { Seed = 4 }, RealTokenizers.Folder("llama3"), again.Path, cancel: TestContext.Current.CancellationToken));
    }
}
