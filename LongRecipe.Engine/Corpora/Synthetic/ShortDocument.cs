namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>A short general document of <paramref name="MinWords"/> to <paramref name="MaxWords"/> words, for replay.</summary>
public sealed record ShortDocumentSpec(int MinWords = 150, int MaxWords = 400, ulong Seed = 0)
{
    public ShortDocumentSpec Validate()
    {
        if (MinWords <= 0) throw new ArgumentException($"the shortest length must be positive, not {MinWords}", nameof(MinWords));
        if (MaxWords < MinWords) throw new ArgumentException($"the longest length {MaxWords} is shorter than the shortest {MinWords}", nameof(MaxWords));
        return this;
    }
}

/// <summary>
/// A short replay document on one topic (gardening, sailing, trade, …), in paragraphs, its length drawn
/// from the spec's range in words. Replay data keeps general abilities while the context is extended.
/// </summary>
public sealed record ShortDocument(string Topic, string Text, int Words)
{
    public static ShortDocument Generate(ShortDocumentSpec spec)
    {
        spec.Validate();
        var draw = new Draw(spec.Seed);
        var (topic, objects) = draw.Pick(Vocabulary.Topics);
        var writer = new SentenceWriter(draw, objects);
        var layout = new Layout(TextMeasure.Words, writer.Next, draw, paragraphBreakChance: 1.0 / 4);
        var (text, words, _) = layout.Build(draw.Int(spec.MinWords, spec.MaxWords + 1), []);
        return new ShortDocument(topic, text, words);
    }
}
