using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Evaluation;

/// <summary>
/// Runs an <see cref="EvaluationSpec"/> on a model, on the calling thread, and writes one <see cref="EvalEvent"/>
/// per measured cell to an event sink as soon as it is measured, in this order:
/// <list type="bullet">
/// <item>niah: for each context length, each depth: <see cref="Metrics.Accuracy"/> (share of needles answered
/// exactly, greedy) then <see cref="Metrics.NeedleLogProb"/> (mean over needles of Σ log p(answer tokens | prompt));</item>
/// <item>passkey: for each length, the same two metrics over passkeys at depths spread over 0–100%
/// (Depth null);</item>
/// <item>perplexity: for each length L, <see cref="Metrics.Perplexity"/> of held-out long documents' first L tokens;</item>
/// <item>short_perplexity: <see cref="Metrics.Perplexity"/> of held-out short documents (ContextLength = the spec's
/// ShortContextLength). Comparing it before and after training is the caller's: evaluate both models.</item>
/// </list>
/// The model is used as given, RoPE scaling included (see <see cref="PretrainedModel.Load"/> for loading
/// one under another rope_scaling). Samples derive from the spec's seed alone.
/// </summary>
public static class Evaluator
{
    private const ulong NiahStream = 1, PasskeyStream = 2, PerplexityStream = 3, ShortStream = 4;

    public static void Evaluate(LlamaModel model, Tokenizer tokenizer, EvaluationSpec spec, EventSink events, string stage = "eval",
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        spec.Validate();
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids, the model's vocabulary only {model.Config.VocabSize}", nameof(tokenizer));
        void Cell(string benchmark, int length, double? depth, string metric, double value, int samples) =>
            events(new EvalEvent(DateTimeOffset.UtcNow, stage, benchmark, length, depth, metric, value, samples));

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
                        var prompt = RetrievalPrompts.Needle(tokenizer, length, depth, (NeedleKind)(k % 3), NeedleSeed(spec.Seed, length, depth, k));
                        results.Add(Retrieval.Run(model, tokenizer, prompt, cancel));
                    }
                    Cell(Benchmarks.Niah, length, depth, Metrics.Accuracy, Accuracy(results), results.Count);
                    Cell(Benchmarks.Niah, length, depth, Metrics.NeedleLogProb, results.Average(r => r.AnswerLogProb), results.Count);
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
                    results.Add(Retrieval.Run(model, tokenizer, prompt, cancel));
                }
                Cell(Benchmarks.Passkey, length, null, Metrics.Accuracy, Accuracy(results), results.Count);
                Cell(Benchmarks.Passkey, length, null, Metrics.NeedleLogProb, results.Average(r => r.AnswerLogProb), results.Count);
            }
        }

        if (spec.Suites.Contains(Benchmarks.Perplexity))
        {
            var documents = Perplexity.LongDocuments(tokenizer, spec.ContextLengths[^1], spec.PerplexityDocuments, Draw.DeriveSeed(spec.Seed, PerplexityStream));
            foreach (var length in spec.ContextLengths)
            {
                var windows = documents.Select(d => d[..length]).ToList();
                var perplexity = Perplexity.Of(model, windows, spec.BatchSize, cancel);
                Cell(Benchmarks.Perplexity, length, null, Metrics.Perplexity, perplexity, windows.Count);
            }
        }

        if (spec.Suites.Contains(Benchmarks.ShortPerplexity))
        {
            var documents = Perplexity.ShortDocuments(tokenizer, spec.ShortContextLength, spec.ShortDocuments, Draw.DeriveSeed(spec.Seed, ShortStream));
            var perplexity = Perplexity.Of(model, documents, spec.BatchSize, cancel);
            Cell(Benchmarks.ShortPerplexity, spec.ShortContextLength, null, Metrics.Perplexity, perplexity, documents.Count);
        }
    }

    /// <summary>The seed of needle <paramref name="k"/> of a (length, depth) cell: the same cell gives the same needles whatever else the spec asks.</summary>
    public static ulong NeedleSeed(ulong seed, int length, double depth, int k) =>
        Draw.DeriveSeed(SampleSeed(seed, NiahStream, length, k), (ulong)BitConverter.DoubleToInt64Bits(depth));

    private static ulong SampleSeed(ulong seed, ulong stream, int length, int k) =>
        Draw.DeriveSeed(Draw.DeriveSeed(Draw.DeriveSeed(seed, stream), (ulong)length), (ulong)k);

    private static double Accuracy(List<RetrievalResult> results) => results.Count(r => r.Correct) / (double)results.Count;
}
