namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>What the needle hides: "The special magic number for Lisbon is 7319." and its kin.</summary>
public enum NeedleKind { MagicNumber, SecretCode, SpecialDate }

/// <summary>
/// A needle-in-a-haystack sample: <paramref name="ContextLength"/> units of filler (needle included)
/// with the needle starting <paramref name="DepthPercent"/>% of the way into the room it can move in
/// (0 = first sentence, 100 = last).
/// </summary>
public sealed record NeedleSpec(int ContextLength, double DepthPercent, NeedleKind Kind = NeedleKind.MagicNumber, ulong Seed = 0)
{
    public NeedleSpec Validate()
    {
        if (ContextLength <= 0) throw new ArgumentException($"context length must be positive, not {ContextLength}", nameof(ContextLength));
        if (DepthPercent is not (>= 0 and <= 100)) throw new ArgumentException($"depth must be in [0, 100] percent, not {DepthPercent}", nameof(DepthPercent));
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"unknown needle kind {Kind}", nameof(Kind));
        return this;
    }
}

/// <summary>The haystack with its needle, the question to ask after it, and the answer expected.</summary>
public sealed record NeedleSample(string Context, int Length, string Question, string Answer, PlacedSentence Needle)
{
    /// <summary>
    /// Generates the sample for <paramref name="spec"/>: the same seed gives the same text. Depth is by
    /// words, or by tokens when <paramref name="countTokens"/> is given. The key and the answer occur in
    /// the context only inside the needle: filler sentences that would contain either are redrawn.
    /// </summary>
    public static NeedleSample Generate(NeedleSpec spec, Func<string, int>? countTokens = null)
    {
        spec.Validate();
        var measure = TextMeasure.For(countTokens);
        var draw = new Draw(spec.Seed);
        var (needle, question, answer, city) = DrawNeedle(spec.Kind, draw);

        var writer = new SentenceWriter(draw);
        string Filler()
        {
            var sentence = writer.Next();
            while (sentence.Contains(city, StringComparison.Ordinal) || sentence.Contains(answer, StringComparison.Ordinal)) sentence = writer.Next();
            return sentence;
        }
        var layout = new Layout(measure, Filler, draw, paragraphBreakChance: 1.0 / 6);
        var room = spec.ContextLength - layout.Cost(needle);
        if (room < 0) throw new ArgumentException($"a context of {spec.ContextLength} {measure.Unit} cannot hold the needle", nameof(spec.ContextLength));

        var offset = (int)Math.Round(spec.DepthPercent / 100 * room);
        var (text, length, placed) = layout.Build(spec.ContextLength, [new PlannedSentence(needle, answer, offset)]);
        return new NeedleSample(text, length, question, answer, placed[0]);
    }

    /// <summary>
    /// The needle sentence alone, for a haystack of real text: drawn as <see cref="Generate"/> draws it from
    /// <paramref name="seed"/>, and drawn again (from seeds derived from it) while its answer occurs in
    /// <paramref name="haystack"/>, so the answer can only come from the needle.
    /// </summary>
    public static (string Needle, string Question, string Answer) NeedleFor(NeedleKind kind, ulong seed, string haystack)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentException($"unknown needle kind {kind}", nameof(kind));
        for (var attempt = 0UL; attempt < MaxDraws; attempt++)
        {
            var (needle, question, answer, _) = DrawNeedle(kind, new Draw(attempt == 0 ? seed : Draw.DeriveSeed(seed, attempt)));
            if (!haystack.Contains(answer, StringComparison.Ordinal)) return (needle, question, answer);
        }
        throw new ArgumentException($"every one of {MaxDraws} {kind} needles drawn has its answer in the haystack already", nameof(haystack));
    }

    // Far more than any real text needs: a draw's answer is one of thousands.
    private const int MaxDraws = 1000;

    /// <summary>"The special magic number for Lisbon is 7319.", its question, its answer and the city it names.</summary>
    private static (string Needle, string Question, string Answer, string City) DrawNeedle(NeedleKind kind, Draw draw)
    {
        var city = draw.Pick(Vocabulary.Cities);
        var (thing, answer) = kind switch
        {
            NeedleKind.MagicNumber => ("special magic number", draw.Int(1000, 10_000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            NeedleKind.SecretCode => ("secret code", Values.Code(draw)),
            _ => ("special date", Values.Date(draw)),
        };
        return ($"The {thing} for {city} is {answer}.", $"What is the {thing} for {city}?", answer, city);
    }
}
