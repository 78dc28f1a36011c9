using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Tokenization;

public class SentenceEndsTests
{
    [Theory]
    [InlineData(".", true)]
    [InlineData("?  ", true)]
    [InlineData("\n", true)]
    [InlineData(" end.", true)]
    [InlineData(" Mr", false)]
    [InlineData(",", false)]
    public void Sentences_end_at_a_final_stop_or_a_line_break(string token, bool ends) => Assert.Equal(ends, SentenceEnds.EndsSentence(token));

    [Fact]
    public void The_built_in_tokenizer_ends_sentences_at_its_stop_tokens_only()
    {
        var tokenizer = Tokenizer.Load(Support.Repository.Path("models", "builtin"));
        var ends = SentenceEnds.Of(tokenizer);

        var ids = tokenizer.Encode("The sky is blue. Is it? Yes!\nDone", addSpecialTokens: true);
        var marked = ids.Where(ends.Contains).Select(id => tokenizer.Decode([id])).ToList();
        // The real-text tokenizer learned "!\n" as one token: it ends a sentence once.
        Assert.Equal([".", "?", "!\n"], marked);
        Assert.All(marked, t => Assert.True(SentenceEnds.EndsSentence(t), t));
        Assert.DoesNotContain(tokenizer.BosId!.Value, ends);
        Assert.Contains(ids, id => tokenizer.Decode([id]) == " is" && !ends.Contains(id));
    }
}
