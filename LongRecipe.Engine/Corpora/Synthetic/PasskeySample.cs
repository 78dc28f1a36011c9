using System.Globalization;

namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// The classic passkey retrieval sample (Mohtashami &amp; Jaggi, 2023): <paramref name="ContextLength"/>
/// units of repeated filler with the pass key sentence <paramref name="DepthPercent"/>% of the way in;
/// the key has <paramref name="Digits"/> digits.
/// </summary>
public sealed record PasskeySpec(int ContextLength, double DepthPercent, int Digits = 5, ulong Seed = 0)
{
    public PasskeySpec Validate()
    {
        if (ContextLength <= 0) throw new ArgumentException($"context length must be positive, not {ContextLength}", nameof(ContextLength));
        if (DepthPercent is not (>= 0 and <= 100)) throw new ArgumentException($"depth must be in [0, 100] percent, not {DepthPercent}", nameof(DepthPercent));
        if (Digits is < 1 or > 9) throw new ArgumentException($"digits must be in [1, 9], not {Digits}", nameof(Digits));
        return this;
    }
}

/// <summary>The context, the prompt that follows it ("What is the pass key? The pass key is"), and the digits.</summary>
public sealed record PasskeySample(string Context, int Length, string Question, string Answer, PlacedSentence Needle)
{
    public const string QuestionText = "What is the pass key? The pass key is";

    private static readonly string[] Filler = ["The grass is green.", "The sky is blue.", "The sun is yellow.", "Here we go.", "There and back again."];

    /// <summary>
    /// Generates the sample: the same seed gives the same key. The filler holds no digits, so the key's
    /// digits occur only in the pass key sentence (twice, as in the original format).
    /// </summary>
    public static PasskeySample Generate(PasskeySpec spec, Func<string, int>? countTokens = null)
    {
        spec.Validate();
        var measure = TextMeasure.For(countTokens);
        var draw = new Draw(spec.Seed);
        var low = (int)Math.Pow(10, spec.Digits - 1);
        var key = draw.Int(low == 1 ? 0 : low, low * 10).ToString(CultureInfo.InvariantCulture);
        var needle = $"The pass key is {key}. Remember it. {key} is the pass key.";

        var next = 0;
        var layout = new Layout(measure, () => Filler[next++ % Filler.Length], draw, paragraphBreakChance: 0);
        var room = spec.ContextLength - layout.Cost(needle);
        if (room < 0) throw new ArgumentException($"a context of {spec.ContextLength} {measure.Unit} cannot hold the pass key", nameof(spec.ContextLength));

        var offset = (int)Math.Round(spec.DepthPercent / 100 * room);
        var (text, length, placed) = layout.Build(spec.ContextLength, [new PlannedSentence(needle, key, offset)]);
        return new PasskeySample(text, length, QuestionText, key, placed[0]);
    }
}
