namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// How far after its statement each fact is referred to, in <see cref="TextMeasure"/> units, measured
/// from the start of the statement to the start of the reference. Either fixed distances (every fact
/// is referred to once at each) or <paramref name="PerFact"/> distances drawn uniformly from
/// [<paramref name="Min"/>, <paramref name="Max"/>].
/// </summary>
public sealed record FactDistances(IReadOnlyList<int>? Fixed, int Min, int Max, int PerFact)
{
    /// <summary>Every fact referred to once at each of these distances (e.g. 1000, 8000, 32000).</summary>
    public static FactDistances At(params int[] distances) => new(distances.Order().ToArray(), 0, 0, distances.Length);

    /// <summary>Every fact referred to <paramref name="perFact"/> times, at distances drawn from [min, max].</summary>
    public static FactDistances Between(int min, int max, int perFact = 1) => new(null, min, max, perFact);

    /// <summary>The farthest a reference can be from its statement.</summary>
    public int Longest => Fixed is null ? Max : Fixed.Count == 0 ? 0 : Fixed[^1];

    public FactDistances Validate()
    {
        if (Fixed is not null)
        {
            if (Fixed.Count == 0) throw new ArgumentException("at least one distance is needed", nameof(Fixed));
            if (Fixed.Any(d => d <= 0)) throw new ArgumentException("distances must be positive", nameof(Fixed));
            if (Fixed.Zip(Fixed.Skip(1)).Any(pair => pair.First > pair.Second)) throw new ArgumentException("distances must be in increasing order", nameof(Fixed));
            return this;
        }
        if (Min <= 0) throw new ArgumentException($"the shortest distance must be positive, not {Min}", nameof(Min));
        if (Max < Min) throw new ArgumentException($"the longest distance {Max} is shorter than the shortest {Min}", nameof(Max));
        if (PerFact <= 0) throw new ArgumentException($"each fact needs at least one reference, not {PerFact}", nameof(PerFact));
        return this;
    }

    /// <summary>The distances for one fact, in increasing order.</summary>
    internal int[] DrawFor(Draw draw) =>
        Fixed?.ToArray() ?? Enumerable.Range(0, PerFact).Select(_ => draw.Int(Min, Max + 1)).Order().ToArray();
}

/// <summary>
/// A long document: <paramref name="Length"/> units (words, or tokens when a counter is given) of
/// filler narrative with <paramref name="FactCount"/> facts, each stated once and referred to later at
/// <paramref name="Distances"/>.
/// </summary>
public sealed record LongDocumentSpec(int Length, int FactCount, FactDistances Distances, ulong Seed = 0)
{
    /// <summary>About 8k words (≈ 10k tokens), 16 facts, each referred to twice between 256 and 6000 words later.</summary>
    public static LongDocumentSpec Default => new(8192, 16, FactDistances.Between(256, 6000, perFact: 2));

    /// <summary>
    /// A document of about <paramref name="approxTokens"/> tokens measured in words (by
    /// <see cref="TextMeasure.TokensPerWord"/>), one fact per ~2k words, each referred to at 1/16, 1/4
    /// and 1/2 of the length: for measuring where far context helps without a tokenizer.
    /// </summary>
    public static LongDocumentSpec ForApproxTokens(int approxTokens, ulong seed = 0)
    {
        var words = TextMeasure.WordsForTokens(approxTokens);
        return new(words, Math.Max(1, words / 2048), FactDistances.At(words / 16, words / 4, words / 2), seed);
    }

    public LongDocumentSpec Validate()
    {
        if (Length <= 0) throw new ArgumentException($"length must be positive, not {Length}", nameof(Length));
        if (FactCount < 0 || FactCount > Fact.DistinctKeys)
            throw new ArgumentException($"fact count must be in [0, {Fact.DistinctKeys}], not {FactCount}", nameof(FactCount));
        ArgumentNullException.ThrowIfNull(Distances);
        Distances.Validate();
        if (Distances.Longest >= Length)
            throw new ArgumentException($"a distance of {Distances.Longest} does not fit in a document of {Length}", nameof(Distances));
        return this;
    }
}
