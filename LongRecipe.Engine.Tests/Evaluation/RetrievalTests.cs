using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tests.Support;
using static LongRecipe.Engine.Tests.Evaluation.EvaluationFixtures;

namespace LongRecipe.Engine.Tests.Evaluation;

/// <summary>How an answer is judged and scored, and prompts and documents sized in real tokenizers' tokens.</summary>
public class RetrievalTests
{
    [Theory]
    [InlineData(" 7319", "7319", true)]
    [InlineData("7319.", "7319", true)]
    [InlineData("\n 7319 is it", "7319", true)]
    [InlineData(" 73190", "7319", false)]
    [InlineData(" 731", "7319", false)]
    [InlineData(" K7-QX", "K7-QX", true)]
    [InlineData(" K7-QXZ", "K7-QX", false)]
    [InlineData(" the 7319", "7319", false)]
    [InlineData("", "7319", false)]
    public void An_answer_matches_exactly_after_trimming(string generated, string answer, bool expected) =>
        Assert.Equal(expected, Retrieval.Matches(generated, answer));

    [Theory]
    [InlineData("llama3")]
    [InlineData("llama2")]
    public void Prompts_and_long_documents_are_sized_in_a_real_tokenizers_tokens(string name)
    {
        var tokenizer = Tokenization.RealTokenizers.Get(name);
        foreach (var length in (int[])[1024, 4096])
        {
            var needle = RetrievalPrompts.Needle(tokenizer, length, 40, NeedleKind.SecretCode, seed: 3);
            Assert.InRange(needle.Ids.Length + needle.AnswerIds.Length, length - 8, length);
            var passkey = RetrievalPrompts.Passkey(tokenizer, length, 80, seed: 3);
            Assert.InRange(passkey.Ids.Length + passkey.AnswerIds.Length, length - 8, length);
            Assert.All(Perplexity.LongDocuments(tokenizer, length, 1, seed: 2), d => Assert.Equal(length, d.Length));
        }
    }

    [Fact]
    public void The_needle_log_prob_is_the_chain_of_its_tokens_probabilities_and_the_answer_is_the_greedy_continuation()
    {
        using var model = TinyModel(seed: 1);
        var prompt = RetrievalPrompts.Needle(Tokenizer, 200, 50, NeedleKind.SpecialDate, seed: 9);
        var result = Retrieval.Run(model, Tokenizer, prompt, TestContext.Current.CancellationToken);

        // Chain rule, one forward per answer token: log p(a) = Σ_j log p(a_j | prompt, a_<j).
        var chained = 0.0;
        for (var j = 0; j < prompt.AnswerIds.Length; j++)
            chained += Scoring.LogProbs(model, [.. prompt.Ids, .. prompt.AnswerIds[..(j + 1)]])[^1];
        Expect.Close(chained, result.AnswerLogProb, 1e-4, "answer log-prob");
        Assert.True(result.AnswerLogProb < 0);

        var greedy = Generation.Generate(model, prompt.Ids, prompt.AnswerIds.Length + 2, SamplingOptions.Greedy,
            new HashSet<long> { Tokenizer.EosId!.Value }, TestContext.Current.CancellationToken).ToBlockingEnumerable(TestContext.Current.CancellationToken).ToArray();
        Assert.Equal(greedy, result.Generated);
        Assert.Equal(Retrieval.Matches(result.GeneratedText, prompt.Answer), result.Correct);
    }
}
