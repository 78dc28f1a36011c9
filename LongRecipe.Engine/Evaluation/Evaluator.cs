using System.Runtime.CompilerServices;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Evaluation;

/// <summary>
/// Runs an <see cref="EvaluationSpec"/> on a model and streams one <see cref="EvalEvent"/> per measured
/// cell as soon as it is measured, in this order:
/// <list type="bullet">
/// <item>niah: for each context length, each depth: "accuracy" (share of needles answered exactly,
/// greedy) then "needle_logprob" (mean over needles of Σ log p(answer tokens | prompt));</item>
/// <item>passkey: for each length, the same two metrics over passkeys at depths spread over 0–100%
/// (Depth null);</item>
/// <item>perplexity: for each length L, "perplexity" of held-out long documents' first L tokens;</item>
/// <item>short_perplexity: "perplexity" of held-out short documents (ContextLength = the spec's
/// ShortContextLength). Comparing it before and after training is the caller's: evaluate both models.</item>
/// </list>
/// The text is synthetic, or a real corpus's held-out split when the spec names one (<see cref="EvaluationSpec"/>).
/// The model is used as given, RoPE scaling included (see <see cref="PretrainedModel.Load"/> for loading
/// one under another rope_scaling). Samples derive from the spec's seed alone.
/// </summary>
public static class Evaluator
{
    private const ulong NiahStream = 1, PasskeyStream = 2, PerplexityStream = 3, ShortStream = 4;

    public static async IAsyncEnumerable<EvalEvent> EvaluateAsync(
        LlamaModel model, Tokenizer tokenizer, EvaluationSpec spec, string stage = "eval",
        [EnumeratorCancellation] CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        spec.Validate();
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids, the model's vocabulary only {model.Config.VocabSize}", nameof(tokenizer));
        EvalEvent Event(string benchmark, int length, double? depth, string metric, double value, int samples) =>
            new(DateTimeOffset.UtcNow, stage, benchmark, length, depth, metric, value, samples);
        // Real text for everything but passkeys when the spec names a corpus (see EvaluationSpec).
        var text = spec.Corpus is { } corpus && spec.Suites.Any(s => s != Benchmarks.Passkey)
            ? HeldOutText.Load(corpus, spec.Split, tokenizer, cancel)
            : null;

        if (spec.Suites.Contains(Benchmarks.Niah))
        {
            foreach (var length in spec.ContextLengths)
            {
                foreach (var depth in spec.DepthPercents)
                {
                    var results = new List<RetrievalResult>();
                    for (var k = 0; k < spec.NeedlesPerCell; k++)
                    {
                        cancel.ThrowIfCancellationRequested();
                        var seed = NeedleSeed(spec.Seed, length, depth, k);
                        var prompt = text is null
                            ? RetrievalPrompts.Needle(tokenizer, length, depth, (NeedleKind)(k % 3), seed)
                            : RetrievalPrompts.NeedleInText(tokenizer, length, depth, (NeedleKind)(k % 3), seed, text.Haystack(length, seed));
                        results.Add(await Retrieval.RunAsync(model, tokenizer, prompt, cancel));
                    }
                    yield return Event(Benchmarks.Niah, length, depth, "accuracy", Accuracy(results), results.Count);
                    yield return Event(Benchmarks.Niah, length, depth, "needle_logprob", results.Average(r => r.AnswerLogProb), results.Count);
                }
            }
        }

        if (spec.Suites.Contains(Benchmarks.Passkey))
        {
            foreach (var length in spec.ContextLengths)
            {
                var results = new List<RetrievalResult>();
                for (var k = 0; k < spec.PasskeySamples; k++)
                {
                    cancel.ThrowIfCancellationRequested();
                    var depth = spec.PasskeySamples == 1 ? 50 : 100.0 * k / (spec.PasskeySamples - 1);
                    var prompt = RetrievalPrompts.Passkey(tokenizer, length, depth, SampleSeed(spec.Seed, PasskeyStream, length, k));
                    results.Add(await Retrieval.RunAsync(model, tokenizer, prompt, cancel));
                }
                yield return Event(Benchmarks.Passkey, length, null, "accuracy", Accuracy(results), results.Count);
                yield return Event(Benchmarks.Passkey, length, null, "needle_logprob", results.Average(r => r.AnswerLogProb), results.Count);
            }
        }

        if (spec.Suites.Contains(Benchmarks.Perplexity))
        {
            var seed = Draw.DeriveSeed(spec.Seed, PerplexityStream);
            var documents = text?.Windows(spec.ContextLengths[^1], spec.PerplexityDocuments, seed)
                            ?? Perplexity.LongDocuments(tokenizer, spec.ContextLengths[^1], spec.PerplexityDocuments, seed);
            foreach (var length in spec.ContextLengths)
            {
                var windows = documents.Select(d => d[..length]).ToList();
                var perplexity = Perplexity.Of(model, windows, spec.BatchSize, cancel);
                yield return Event(Benchmarks.Perplexity, length, null, "perplexity", perplexity, windows.Count);
                await Task.Yield();
            }
        }

        if (spec.Suites.Contains(Benchmarks.ShortPerplexity))
        {
            var seed = Draw.DeriveSeed(spec.Seed, ShortStream);
            var documents = text?.Windows(spec.ShortContextLength, spec.ShortDocuments, seed)
                            ?? Perplexity.ShortDocuments(tokenizer, spec.ShortContextLength, spec.ShortDocuments, seed);
            var perplexity = Perplexity.Of(model, documents, spec.BatchSize, cancel);
            yield return Event(Benchmarks.ShortPerplexity, spec.ShortContextLength, null, "perplexity", perplexity, documents.Count);
        }
    }

    /// <summary>The seed of needle <paramref name="k"/> of a (length, depth) cell: the same cell gives the same needles whatever else the spec asks.</summary>
    public static ulong NeedleSeed(ulong seed, int length, double depth, int k) =>
        Draw.DeriveSeed(SampleSeed(seed, NiahStream, length, k), (ulong)BitConverter.DoubleToInt64Bits(depth));

    private static ulong SampleSeed(ulong seed, ulong stream, int length, int k) =>
        Draw.DeriveSeed(Draw.DeriveSeed(Draw.DeriveSeed(seed, stream), (ulong)length), (ulong)k);

    private static double Accuracy(List<RetrievalResult> results) => results.Count(r => r.Correct) / (double)results.Count;
}
