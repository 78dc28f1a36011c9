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
    public void Teacher_forced_answers_are_the_greedy_continuation_and_the_chained_log_probs_in_any_batch()
    {
        using var model = TinyModel(seed: 1);
        var cancel = TestContext.Current.CancellationToken;
        // Prompts of a few lengths and kinds, so batches mix rows of equal length and leave others alone.
        RetrievalPrompt[] prompts =
        [
            RetrievalPrompts.Needle(Tokenizer, 200, 50, NeedleKind.SpecialDate, seed: 9),
            RetrievalPrompts.Passkey(Tokenizer, 200, 10, seed: 4),
            RetrievalPrompts.Needle(Tokenizer, 160, 0, NeedleKind.SecretCode, seed: 2),
            RetrievalPrompts.Passkey(Tokenizer, 200, 90, seed: 5),
            RetrievalPrompts.Needle(Tokenizer, 200, 100, NeedleKind.MagicNumber, seed: 3),
        ];
        var one = Retrieval.Answer(model, Tokenizer, prompts, batchSize: 1, cancel);
        var all = Retrieval.Answer(model, Tokenizer, prompts, batchSize: 8, cancel);

        for (var i = 0; i < prompts.Length; i++)
        {
            var prompt = prompts[i];
            // Chain rule, one forward per answer token: log p(a) = Σ_j log p(a_j | prompt, a_<j).
            var chained = 0.0;
            for (var j = 0; j < prompt.AnswerIds.Length; j++)
                chained += Scoring.LogProbs(model, [.. prompt.Ids, .. prompt.AnswerIds[..(j + 1)]])[^1];
            Expect.Close(chained, one[i].AnswerLogProb, 1e-4, $"answer log-prob of prompt {i}");
            Expect.Close(one[i].AnswerLogProb, all[i].AnswerLogProb, 1e-4, $"batched log-prob of prompt {i}");
            Assert.True(one[i].AnswerLogProb < 0);

            // Greedy decoding with a KV cache, token by token, agrees up to where it leaves the answer.
            var greedy = Generation.Generate(model, prompt.Ids, prompt.AnswerIds.Length + 1, SamplingOptions.Greedy,
                new HashSet<long> { Tokenizer.EosId!.Value }, cancel).ToBlockingEnumerable(cancel).ToArray();
            Assert.Equal(greedy[..one[i].Generated.Length], one[i].Generated);
            Assert.Equal(one[i].Generated, all[i].Generated);
            var greedyText = Tokenizer.Decode(greedy.Select(id => (int)id).ToArray(), skipSpecialTokens: true);
            Assert.Equal(Retrieval.Matches(greedyText, prompt.Answer), one[i].Correct);
            Assert.Equal(one[i].Correct, all[i].Correct);
        }
    }

    [Fact]
    public void The_built_in_model_answers_passkeys_in_its_window_as_greedy_decoding_does()
    {
        var builtin = Repository.Path("models", "builtin");
        using var model = PretrainedModel.Load(builtin, dtype: LongRecipe.Engine.Torch.DType.Float32);
        var tokenizer = LongRecipe.Engine.Tokenization.Tokenizer.Load(builtin);
        var cancel = TestContext.Current.CancellationToken;
        var prompts = Enumerable.Range(0, 8).Select(k => RetrievalPrompts.Passkey(tokenizer, 256, 100.0 * k / 7, seed: (ulong)(70 + k))).ToArray();

        var results = Retrieval.Answer(model, tokenizer, prompts, batchSize: 4, cancel);

        var verdicts = prompts.Select(prompt =>
        {
            var greedy = Generation.Generate(model, prompt.Ids, prompt.AnswerIds.Length + 2, SamplingOptions.Greedy,
                new HashSet<long> { tokenizer.EosId!.Value }, cancel).ToBlockingEnumerable(cancel).ToArray();
            return Retrieval.Matches(tokenizer.Decode(greedy.Select(id => (int)id).ToArray(), skipSpecialTokens: true), prompt.Answer);
        }).ToList();
        Assert.Equal(verdicts, results.Select(r => r.Correct));
        // The model retrieves passkeys within its window (its README: ≥ 0.95), so the right answers are seen as right.
        Assert.True(results.Count(r => r.Correct) >= 6, $"{results.Count(r => r.Correct)} of 8 passkeys answered");
        Assert.All(results.Where(r => r.Correct), r => Assert.StartsWith(r.Prompt.Answer, r.GeneratedText.TrimStart()));
    }
}
