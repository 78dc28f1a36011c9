using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Evaluation;

/// <summary>
/// What the model did with a <see cref="RetrievalPrompt"/>: its greedy continuation, whether that is the
/// answer, and log p(answer tokens | prompt), teacher forced (the sum over the answer's tokens).
/// </summary>
public sealed record RetrievalResult(RetrievalPrompt Prompt, long[] Generated, string GeneratedText, bool Correct, double AnswerLogProb);

public static class Retrieval
{
    /// <summary>Greedy tokens generated beyond the answer's own, so a longer number ("73190") is seen as wrong.</summary>
    private const int ExtraTokens = 2;

    /// <summary>
    /// Exact match after trimming: the continuation, leading whitespace removed, starts with the answer
    /// and the answer is not the start of a longer word or number ("7319." matches 7319, "73190" does not).
    /// </summary>
    public static bool Matches(string generated, string answer)
    {
        var text = generated.TrimStart();
        var expected = answer.Trim();
        return expected.Length > 0 && text.StartsWith(expected, StringComparison.Ordinal)
            && (text.Length == expected.Length || !char.IsLetterOrDigit(text[expected.Length]));
    }

    /// <summary>Asks the model: greedy generation (stopping at EOS) and the answer's teacher-forced log-probability.</summary>
    public static RetrievalResult Run(LlamaModel model, Tokenizer tokenizer, RetrievalPrompt prompt, CancellationToken cancel = default)
    {
        var stop = tokenizer.EosId is { } eos ? new HashSet<long> { eos } : null;
        List<long> generated = [.. Generation.Generate(model, prompt.Ids, prompt.AnswerIds.Length + ExtraTokens, SamplingOptions.Greedy, stop, cancel)
            .ToBlockingEnumerable(cancel)];
        var text = tokenizer.Decode(generated.Select(id => (int)id).ToArray(), skipSpecialTokens: true);
        return new RetrievalResult(prompt, [.. generated], text, Matches(text, prompt.Answer), AnswerLogProb(model, prompt));
    }

    /// <summary>Σ log p(answer token | prompt, earlier answer tokens).</summary>
    public static double AnswerLogProb(LlamaModel model, RetrievalPrompt prompt)
    {
        long[] ids = [.. prompt.Ids, .. prompt.AnswerIds];
        return Scoring.LogProbs(model, [ids], skip: prompt.Ids.Length - 1)[0].Sum();
    }
}
