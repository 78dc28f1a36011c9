using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Events;

namespace LongRecipe.Engine.Evaluation;

/// <summary>
/// What to evaluate. <paramref name="Suites"/>: any of <see cref="Benchmarks.All"/>.
/// <paramref name="ContextLengths"/>: prompt lengths in tokens (BOS included) for the needle, passkey and
/// perplexity suites, e.g. 256, 512, 1024. <paramref name="DepthPercents"/>: needle depths (0 = the first
/// sentence, 100 = the last). <paramref name="NeedlesPerCell"/>: needles per (length, depth) cell;
/// <paramref name="PasskeySamples"/>: passkeys per length, at depths spread evenly over 0–100;
/// <paramref name="PerplexityDocuments"/>: long documents whose first L tokens are scored at each length L;
/// <paramref name="ShortDocuments"/>: short documents, each scored on at most <paramref name="ShortContextLength"/>
/// tokens. Every sample derives from <paramref name="Seed"/>: give a seed the training corpus did not use
/// to hold its documents out. <paramref name="BatchSize"/>: rows per forward where rows are equally long.
/// <para>
/// The text: synthetic by default (<paramref name="Corpus"/> null), the generator's long and short documents
/// and needle filler, held out by the seed. With <paramref name="Corpus"/> a real-text corpus folder
/// (Corpora/Packages), its <paramref name="Split"/> — test by default, validation when an experiment chooses
/// settings (learning rates) and must not look at test — is held out by construction, and real text replaces
/// the synthetic throughout but for passkeys: perplexity by length is measured on the first L tokens of split
/// documents of at least the longest length; short-context perplexity on split documents cut to the short
/// length; a needle's haystack is a split document cut to the context, the needle sentence inserted at the
/// sentence boundary nearest its depth. Documents are drawn in an order the seed fixes. Passkeys keep their
/// synthetic filler (the task is defined by it).
/// </para>
/// </summary>
public sealed record EvaluationSpec(
    IReadOnlyList<string> Suites,
    IReadOnlyList<int> ContextLengths,
    IReadOnlyList<double> DepthPercents,
    int NeedlesPerCell = 4,
    int PasskeySamples = 4,
    int PerplexityDocuments = 4,
    int ShortDocuments = 16,
    int ShortContextLength = 512,
    ulong Seed = 0,
    int BatchSize = 4,
    string? Corpus = null,
    CorpusSplit Split = CorpusSplit.Test)
{
    /// <summary>Every suite at 256, 512 and 1024 tokens, needles at 0, 25, 50, 75 and 100%, seed 1000 (apart from training's 0).</summary>
    public static EvaluationSpec Default => new(Benchmarks.All, [256, 512, 1024], [0, 25, 50, 75, 100], Seed: 1000);

    /// <summary>How many events the evaluation yields, for progress: two per needle cell, passkey length and perplexity length, one for short documents.</summary>
    public int EventCount =>
        (Suites.Contains(Benchmarks.Niah) ? 2 * ContextLengths.Count * DepthPercents.Count : 0)
        + (Suites.Contains(Benchmarks.Passkey) ? 2 * ContextLengths.Count : 0)
        + (Suites.Contains(Benchmarks.Perplexity) ? 2 * ContextLengths.Count : 0)
        + (Suites.Contains(Benchmarks.ShortPerplexity) ? 1 : 0);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first field that is wrong.</summary>
    public EvaluationSpec Validate()
    {
        ArgumentNullException.ThrowIfNull(Suites, nameof(Suites));
        ArgumentNullException.ThrowIfNull(ContextLengths, nameof(ContextLengths));
        ArgumentNullException.ThrowIfNull(DepthPercents, nameof(DepthPercents));
        if (Suites.Count == 0) throw new ArgumentException("name at least one suite", nameof(Suites));
        foreach (var suite in Suites)
            if (!Benchmarks.All.Contains(suite))
                throw new ArgumentException($"unknown suite '{suite}' (expected {string.Join(", ", Benchmarks.All)})", nameof(Suites));
        if (Suites.Distinct().Count() != Suites.Count) throw new ArgumentException("a suite is named twice", nameof(Suites));
        var needsLengths = Suites.Any(s => s != Benchmarks.ShortPerplexity);
        if (needsLengths && ContextLengths.Count == 0) throw new ArgumentException("give at least one context length", nameof(ContextLengths));
        for (var i = 0; i < ContextLengths.Count; i++)
        {
            if (ContextLengths[i] < 64) throw new ArgumentException($"context lengths must be at least 64 tokens, not {ContextLengths[i]}", nameof(ContextLengths));
            if (i > 0 && ContextLengths[i] <= ContextLengths[i - 1])
                throw new ArgumentException($"context lengths must increase ({ContextLengths[i - 1]} then {ContextLengths[i]})", nameof(ContextLengths));
        }
        if (Suites.Contains(Benchmarks.Niah) && DepthPercents.Count == 0) throw new ArgumentException("give at least one depth", nameof(DepthPercents));
        foreach (var depth in DepthPercents)
            if (depth is not (>= 0 and <= 100)) throw new ArgumentException($"depths must be in [0, 100] percent, not {depth}", nameof(DepthPercents));
        // Lengths must increase, which refuses a repeat; depths may come in any order, so a repeat (two identical cells) is asked for.
        if (DepthPercents.GroupBy(d => d).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            throw new ArgumentException($"depth {repeated.Key} is given twice", nameof(DepthPercents));
        Positive(NeedlesPerCell, nameof(NeedlesPerCell));
        Positive(PasskeySamples, nameof(PasskeySamples));
        Positive(PerplexityDocuments, nameof(PerplexityDocuments));
        Positive(ShortDocuments, nameof(ShortDocuments));
        Positive(BatchSize, nameof(BatchSize));
        if (ShortContextLength < 2) throw new ArgumentException($"short context length must be at least 2 tokens, not {ShortContextLength}", nameof(ShortContextLength));
        if (Split == CorpusSplit.Train) throw new ArgumentException("an evaluation holds its documents out: test or validation, not train", nameof(Split));
        return this;
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentException($"{name} must be at least 1, not {value}", name);
    }
}
