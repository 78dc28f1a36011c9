namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>A later sentence repeating a fact's value, <paramref name="Distance"/> units after the statement.</summary>
public sealed record FactReference(PlacedSentence Sentence, int Distance, int RequestedDistance);

/// <summary>A fact as placed in a document: its key and value, where it is stated, where it is referred to.</summary>
public sealed record PlacedFact(string Key, string Value, PlacedSentence Statement, IReadOnlyList<FactReference> References);

/// <summary>
/// A generated long document of <paramref name="Length"/> units (<paramref name="Unit"/>: words or
/// tokens) with its facts recorded, so analysis can check that far context helps exactly at the
/// references.
/// </summary>
public sealed record LongDocument(string Text, int Length, string Unit, IReadOnlyList<PlacedFact> Facts)
{
    // Planning draws a fact's statement position at random until its sentences miss every placed one;
    // documents have room to spare, so this many misses means the spec asks for more than fits.
    private const int PlacementAttempts = 10_000;

    /// <summary>
    /// Generates the document for <paramref name="spec"/>: the same seed gives the same text. Lengths,
    /// offsets and distances are in words, or in tokens when <paramref name="countTokens"/> is given;
    /// then the length is exact too (see <see cref="TextMeasure"/> for the rare tokenizer exception).
    /// Throws an <see cref="ArgumentException"/> naming the field when the facts cannot fit.
    /// </summary>
    public static LongDocument Generate(LongDocumentSpec spec, Func<string, int>? countTokens = null)
    {
        spec.Validate();
        var measure = TextMeasure.For(countTokens);
        var draw = new Draw(spec.Seed);
        var writer = new SentenceWriter(draw);
        var layout = new Layout(measure, writer.Next, draw, paragraphBreakChance: 1.0 / 6);

        var occupied = new List<(int Start, int End)>();
        var plans = Fact.DrawDistinct(draw, spec.FactCount).Select(fact => Plan(fact, spec, draw, layout, occupied)).ToList();
        var planned = plans.SelectMany(plan => plan.Sentences).OrderBy(sentence => sentence.Offset).ToList();

        var (text, length, placed) = layout.Build(spec.Length, planned);
        var where = planned.Zip(placed).ToDictionary(pair => pair.First, pair => pair.Second);
        var facts = plans.Select(plan =>
        {
            var statement = where[plan.Sentences[0]];
            var references = plan.Sentences.Skip(1).Zip(plan.Distances, (sentence, requested) =>
                new FactReference(where[sentence], where[sentence].Offset - statement.Offset, requested)).ToList();
            return new PlacedFact(plan.Fact.Key, plan.Fact.Value, statement, references);
        }).ToList();
        return new LongDocument(text, length, measure.Unit, facts);
    }

    /// <summary>A fact's statement (first) and references, at offsets clear of everything placed so far.</summary>
    private sealed record FactPlan(Fact Fact, PlannedSentence[] Sentences, int[] Distances);

    private static FactPlan Plan(Fact fact, LongDocumentSpec spec, Draw draw, Layout layout, List<(int Start, int End)> occupied)
    {
        var texts = new[] { fact.Statement }.Concat(Enumerable.Range(0, spec.Distances.PerFact).Select(_ => fact.Reference(draw))).ToArray();
        var costs = texts.Select(layout.Cost).ToArray();
        for (var attempt = 0; attempt < PlacementAttempts; attempt++)
        {
            var distances = spec.Distances.DrawFor(draw);
            var latest = spec.Length - distances[^1] - costs[^1];
            if (latest < 0) continue;
            var start = draw.Int(0, latest + 1);
            var spans = new[] { start }.Concat(distances.Select(d => start + d)).Select((offset, i) => (Start: offset, End: offset + costs[i])).ToArray();
            var clear = spans.Zip(spans.Skip(1)).All(pair => pair.First.End <= pair.Second.Start)
                && spans.All(span => occupied.All(other => span.End <= other.Start || other.End <= span.Start));
            if (!clear) continue;
            occupied.AddRange(spans);
            return new FactPlan(fact, texts.Select((text, i) => new PlannedSentence(text, fact.Value, spans[i].Start)).ToArray(), distances);
        }
        throw new ArgumentException(
            $"could not place fact {occupied.Count / costs.Length + 1} of {spec.FactCount} with its references in {spec.Length} {layout.Unit}: " +
            "fewer facts, a longer document, or distances longer than a sentence are needed", nameof(spec.FactCount));
    }
}
