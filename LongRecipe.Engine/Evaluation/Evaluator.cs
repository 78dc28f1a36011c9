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
/// exactly, greedy, see <see cref="Retrieval.Answer"/>) then <see cref="Metrics.NeedleLogProb"/> (mean over needles of Σ log p(answer tokens | prompt));</item>
/// <item>passkey: for each length, the same two metrics over passkeys at depths spread over 0–100%
/// (Depth null);</item>
/// <item>perplexity: for each length L, <see cref="Metrics.Perplexity"/> of held-out long documents' first L tokens,
/// then <see cref="Metrics.BitsPerByte"/> of the same predictions (comparable across tokenizers);</item>
/// <item>short_perplexity: <see cref="Metrics.Perplexity"/> of held-out short documents (ContextLength = the spec's
/// ShortContextLength). Comparing it before and after training is the caller's: evaluate both models.</item>
/// </list>
/// The text is synthetic, or a real corpus's held-out split when the spec names one (<see cref="EvaluationSpec"/>).
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
        // Real text for everything but passkeys when the spec names a corpus (see EvaluationSpec).
        var text = spec.Corpus is { } corpus && spec.Suites.Any(s => s != Benchmarks.Passkey)
            ? HeldOutText.Load(corpus, spec.Split, tokenizer, cancel)
            : null;

        if (spec.Suites.Contains(Benchmarks.Niah))
        {
            foreach (var length in spec.ContextLengths)
            {
                // One length's needles at every depth are asked together (rows of equal length share forwards).
                var answers = Retrieval.Answer(model, tokenizer, NeedlePrompts(tokenizer, spec, text, length, spec.DepthPercents), spec.BatchSize, cancel);
                foreach (var (depth, cell) in spec.DepthPercents.Zip(answers.Chunk(spec.NeedlesPerCell)))
                {
                    Cell(Benchmarks.Niah, length, depth, Metrics.Accuracy, Accuracy(cell), cell.Length);
                    Cell(Benchmarks.Niah, length, depth, Metrics.NeedleLogProb, cell.Average(r => r.AnswerLogProb), cell.Length);
                }
            }
        }

        if (spec.Suites.Contains(Benchmarks.Passkey))
        {
            foreach (var length in spec.ContextLengths)
            {
                var prompts = Enumerable.Range(0, spec.PasskeySamples).Select(k =>
                {
                    var depth = spec.PasskeySamples == 1 ? 50 : 100.0 * k / (spec.PasskeySamples - 1);
                    return RetrievalPrompts.Passkey(tokenizer, length, depth, SampleSeed(spec.Seed, PasskeyStream, length, k));
                }).ToList();
                var answers = Retrieval.Answer(model, tokenizer, prompts, spec.BatchSize, cancel);
                Cell(Benchmarks.Passkey, length, null, Metrics.Accuracy, Accuracy(answers), answers.Length);
                Cell(Benchmarks.Passkey, length, null, Metrics.NeedleLogProb, answers.Average(r => r.AnswerLogProb), answers.Length);
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
                var (nll, tokens) = Perplexity.Measure(model, windows, spec.BatchSize, cancel);
                Cell(Benchmarks.Perplexity, length, null, Metrics.Perplexity, Math.Exp(nll / tokens), windows.Count);
                Cell(Benchmarks.Perplexity, length, null, Metrics.BitsPerByte, Perplexity.BitsPerByte(nll, tokenizer, windows), windows.Count);
            }
        }

        if (spec.Suites.Contains(Benchmarks.ShortPerplexity))
        {
            var seed = Draw.DeriveSeed(spec.Seed, ShortStream);
            var documents = text?.Windows(spec.ShortContextLength, spec.ShortDocuments, seed)
                            ?? Perplexity.ShortDocuments(tokenizer, spec.ShortContextLength, spec.ShortDocuments, seed);
            var perplexity = Perplexity.Of(model, documents, spec.BatchSize, cancel);
            Cell(Benchmarks.ShortPerplexity, spec.ShortContextLength, null, Metrics.Perplexity, perplexity, documents.Count);
        }
    }

    /// <summary>
    /// The needles of one (length, depth) cell of the needle grid asked again, exactly as <see cref="Evaluate"/> asks them
    /// (the same prompts from the same seeds), with the model's answers: what a heatmap cell's accuracy was measured on.
    /// </summary>
    public static RetrievalResult[] NeedleCell(LlamaModel model, Tokenizer tokenizer, EvaluationSpec spec, int length, double depth,
        CancellationToken cancel = default)
    {
        spec.Validate();
        var text = spec.Corpus is { } corpus ? HeldOutText.Load(corpus, spec.Split, tokenizer, cancel) : null;
        return Retrieval.Answer(model, tokenizer, NeedlePrompts(tokenizer, spec, text, length, [depth]), spec.BatchSize, cancel);
    }

    /// <summary>The needle prompts at <paramref name="length"/>, NeedlesPerCell for each depth in order, in synthetic or real text.</summary>
    private static List<RetrievalPrompt> NeedlePrompts(Tokenizer tokenizer, EvaluationSpec spec, HeldOutText? text, int length, IEnumerable<double> depths) =>
        [.. depths.SelectMany(depth => Enumerable.Range(0, spec.NeedlesPerCell).Select(k =>
        {
            var seed = NeedleSeed(spec.Seed, length, depth, k);
            return text is null
                ? RetrievalPrompts.Needle(tokenizer, length, depth, (NeedleKind)(k % 3), seed)
                : RetrievalPrompts.NeedleInText(tokenizer, length, depth, (NeedleKind)(k % 3), seed, text.Haystack(length, seed));
        }))];

    /// <summary>The seed of needle <paramref name="k"/> of a (length, depth) cell: the same cell gives the same needles whatever else the spec asks.</summary>
    public static ulong NeedleSeed(ulong seed, int length, double depth, int k) =>
        Draw.DeriveSeed(SampleSeed(seed, NiahStream, length, k), (ulong)BitConverter.DoubleToInt64Bits(depth));

    private static ulong SampleSeed(ulong seed, ulong stream, int length, int k) =>
        Draw.DeriveSeed(Draw.DeriveSeed(Draw.DeriveSeed(seed, stream), (ulong)length), (ulong)k);

    private static double Accuracy(RetrievalResult[] results) => results.Count(r => r.Correct) / (double)results.Length;
}
