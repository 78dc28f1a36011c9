using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Corpora.Synthetic;
using static LongRecipe.Engine.Tests.Evaluation.EvaluationFixtures;

namespace LongRecipe.Engine.Tests.Corpora.Retrieval;

/// <summary>Needle and passkey prompts: size, depth, cue and answer.</summary>
public class RetrievalPromptTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(25)]
    [InlineData(50)]
    [InlineData(100)]
    public void The_needle_lands_at_the_requested_depth_within_one_sentence(double depth)
    {
        const int length = 320;
        var prompt = RetrievalPrompts.Needle(Tokenizer, length, depth, NeedleKind.MagicNumber, seed: 11);
        var total = prompt.Ids.Length + prompt.AnswerIds.Length;
        Assert.InRange(total, length - 8, length);

        var text = Tokenizer.Decode(prompt.Ids.Select(i => (int)i).ToArray(), skipSpecialTokens: true);
        var needleAt = Tokenizer.Decode(prompt.Ids[prompt.NeedleTokenOffset..].Select(i => (int)i).ToArray());
        Assert.StartsWith("The special magic number for", needleAt.TrimStart());
        Assert.EndsWith($"Answer: The special magic number for {text.Split("magic number for ")[1].Split(' ')[0]} is", text);
        Assert.Equal(" " + prompt.Answer, Tokenizer.Decode(prompt.AnswerIds.Select(i => (int)i).ToArray()));

        // The needle starts depth% into the room the haystack leaves around it (tokens after BOS).
        var needleTokens = Tokenizer.Encode(" The special magic number for X is " + prompt.Answer + ".", addSpecialTokens: false).Length;
        var expected = depth / 100 * (prompt.HaystackTokens - needleTokens);
        var haystack = text[..text.IndexOf("\n\nWhat is", StringComparison.Ordinal)];
        var longestSentence = haystack.Split('.').Max(s => Tokenizer.Encode(s + ".", addSpecialTokens: false).Length);
        Assert.InRange(prompt.NeedleTokenOffset - 1, expected - longestSentence, expected + longestSentence);
    }

    [Fact]
    public void A_passkey_prompt_ends_with_the_question_and_fits()
    {
        var prompt = RetrievalPrompts.Passkey(Tokenizer, 256, 50, seed: 3);
        Assert.InRange(prompt.Ids.Length + prompt.AnswerIds.Length, 248, 256);
        Assert.Equal(Tokenizer.BosId, (int)prompt.Ids[0]);
        Assert.EndsWith("\n" + PasskeySample.QuestionText, Tokenizer.Decode(prompt.Ids.Select(i => (int)i).ToArray()));
        Assert.Matches("^[0-9]{5}$", prompt.Answer);
        Assert.Equal(prompt, RetrievalPrompts.Passkey(Tokenizer, 256, 50, seed: 3) with { Ids = prompt.Ids, AnswerIds = prompt.AnswerIds });
        Assert.Equal(prompt.Ids, RetrievalPrompts.Passkey(Tokenizer, 256, 50, seed: 3).Ids);
        Assert.NotEqual(prompt.Answer, RetrievalPrompts.Passkey(Tokenizer, 256, 50, seed: 4).Answer);
    }

    [Fact]
    public void A_context_too_short_for_the_needle_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => RetrievalPrompts.Needle(Tokenizer, 24, 50, NeedleKind.SecretCode, seed: 0));
        Assert.Equal("contextLength", error.ParamName);
        Assert.Contains("24 tokens", error.Message);
    }
}
