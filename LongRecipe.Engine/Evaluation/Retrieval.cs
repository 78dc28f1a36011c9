using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Evaluation;

/// <summary>
/// What the model did with a <see cref="RetrievalPrompt"/>: its greedy continuation as far as it follows
/// the answer (the answer's tokens, then one more; or up to the first token that departs from them),
/// whether that is the answer, and log p(answer tokens | prompt), teacher forced (the sum over its tokens).
/// </summary>
public sealed record RetrievalResult(RetrievalPrompt Prompt, long[] Generated, string GeneratedText, bool Correct, double AnswerLogProb);

public static class Retrieval
{
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

    /// <summary>
    /// Asks the model every prompt, <paramref name="batchSize"/> equally long prompt-and-answer rows per forward.
    /// One teacher-forced forward over prompt + answer gives everything greedy decoding would: while the argmax
    /// at each answer position is the answer's token, greedy decoding follows the answer exactly, so the first
    /// departure is the token greedy generation emits there; after the whole answer, the argmax is the next
    /// token it emits (end-of-text included), which <see cref="Matches"/> reads to refuse "73190" for 7319.
    /// The one difference from free generation: an answer spelt in other tokens than the tokenizer's own counts
    /// as wrong. Rows are never padded, so every row sees exactly the positions it would alone.
    /// </summary>
    public static RetrievalResult[] Answer(LlamaModel model, Tokenizer tokenizer, IReadOnlyList<RetrievalPrompt> prompts, int batchSize,
        CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var results = new RetrievalResult[prompts.Count];
        var byLength = prompts.Select((prompt, index) => (Prompt: prompt, Index: index)).GroupBy(p => p.Prompt.Ids.Length + p.Prompt.AnswerIds.Length);
        foreach (var rows in byLength.SelectMany(group => group.Chunk(batchSize)))
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var (result, index) in AnswerRows(model, tokenizer, [.. rows.Select(r => r.Prompt)]).Zip(rows.Select(r => r.Index)))
                results[index] = result;
        }
        return results;
    }

    /// <summary>Rows of n tokens each: the logits of each row's last (answer length + 1) positions, argmax and answer log-probs.</summary>
    private static IEnumerable<RetrievalResult> AnswerRows(LlamaModel model, Tokenizer tokenizer, RetrievalPrompt[] rows)
    {
        var n = rows[0].Ids.Length + rows[0].AnswerIds.Length;
        // Window: the prediction of every answer token and of the token after the answer, for the longest answer.
        var window = rows.Max(r => r.AnswerIds.Length) + 1;
        float[] logProbs;
        long[] argmax;
        long vocab;
        using (new NoGradScope())
        using (DisposeScope.Enter())
        {
            var ids = Tensor.FromArray([.. rows.SelectMany(r => r.Ids.Concat(r.AnswerIds))], [rows.Length, n], device: model.Device);
            var positions = Tensor.Arange(n, device: model.Device).Unsqueeze(0).Expand(rows.Length, n);
            var hidden = model.Hidden(ids, positions).Narrow(1, n - window, window);
            var scores = Functional.LogSoftmax(model.Logits(hidden).To(DType.Float32), -1);
            vocab = scores.Shape[^1];
            argmax = scores.ArgMax(-1).ToArray<long>();
            logProbs = scores.ToArray<float>();
        }
        for (var r = 0; r < rows.Length; r++)
        {
            var prompt = rows[r];
            var answer = prompt.AnswerIds;
            // Window index of the position that predicts answer token k: the answer's tokens are the row's last.
            int Predicting(int k) => window - 1 - answer.Length + k;
            var logProb = 0.0;
            var generated = new List<long>();
            var following = true;
            for (var k = 0; k < answer.Length; k++)
            {
                var at = (long)r * window + Predicting(k);
                logProb += logProbs[at * vocab + answer[k]];
                if (!following) continue;
                generated.Add(argmax[at]);
                following = argmax[at] == answer[k];
            }
            if (following) generated.Add(argmax[(long)r * window + window - 1]);
            var text = tokenizer.Decode(generated.Select(id => (int)id).ToArray(), skipSpecialTokens: true);
            yield return new RetrievalResult(prompt, [.. generated], text, following && Matches(text, prompt.Answer), logProb);
        }
    }
}
