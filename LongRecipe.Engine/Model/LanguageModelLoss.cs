using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>The next-token training loss.</summary>
public static class LanguageModelLoss
{
    /// <summary>Positions per checkpointed chunk of logits.</summary>
    public const long Chunk = 4096;

    /// <summary>
    /// Mean cross-entropy of predicting targets [batch, seq] from hidden states [batch, seq, hidden]:
    /// −(1/K) Σ log softmax(lm_head(h_i))[t_i] over the K targets not equal to <paramref name="ignoreIndex"/>,
    /// in f32 as transformers computes it (<see cref="Functional.CrossEntropy"/>). With activation checkpointing on, positions
    /// are taken <paramref name="chunk"/> at a time, each chunk checkpointed, so at most one chunk's
    /// logits (chunk × vocab) exist at once instead of seq × vocab — 64k tokens over a 128k
    /// vocabulary would need 32 GiB of f32 logits; without it, one pass saves the recomputation.
    /// </summary>
    public static Tensor CrossEntropy(LlamaModel model, Tensor hidden, Tensor targets, long chunk = Chunk, long ignoreIndex = -100)
    {
        var vocab = model.Config.VocabSize;
        if (!model.ActivationCheckpointing)
        {
            // The logits' handles go before backward; autograd keeps what the loss's backward needs.
            using var scope = DisposeScope.Enter();
            var logits = model.Logits(hidden).Reshape(-1, vocab);
            return scope.MoveToOuter(Functional.CrossEntropy(logits, targets.Reshape(-1), ignoreIndex));
        }

        var seq = hidden.Size(1);
        Tensor? total = null;
        for (long start = 0; start < seq; start += chunk)
        {
            var length = Math.Min(chunk, seq - start);
            var chunkTargets = targets.Narrow(1, start, length).Reshape(-1);
            var sum = ActivationCheckpoint.Run(
                h => Functional.CrossEntropy(model.Logits(h).Reshape(-1, vocab), chunkTargets, ignoreIndex, Reduction.Sum),
                hidden.Narrow(1, start, length));
            total = total is null ? sum : total + sum;
        }
        var counted = targets.Ne(ignoreIndex).Sum().To(DType.Float32);
        return total! / counted;
    }
}
