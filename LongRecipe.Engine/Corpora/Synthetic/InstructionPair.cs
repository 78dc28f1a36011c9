namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>A question over a passage of about <paramref name="PassageWords"/> words that states the answer once.</summary>
public sealed record InstructionPairSpec(int PassageWords = 120, ulong Seed = 0)
{
    public InstructionPairSpec Validate() =>
        PassageWords >= 20 ? this : throw new ArgumentException($"a passage needs at least 20 words, not {PassageWords}", nameof(PassageWords));
}

/// <summary>
/// An instruction-style replay pair, like the reference code's replay records: the prompt is a passage
/// and a question about a fact stated in it; the response restates the fact.
/// </summary>
public sealed record InstructionPair(string Prompt, string Response)
{
    public static InstructionPair Generate(InstructionPairSpec spec)
    {
        spec.Validate();
        var draw = new Draw(spec.Seed);
        var fact = Fact.New(draw);
        var writer = new SentenceWriter(draw);
        var layout = new Layout(TextMeasure.Words, writer.Next, draw, paragraphBreakChance: 0);
        var room = spec.PassageWords - layout.Cost(fact.Statement);
        var (passage, _, _) = layout.Build(spec.PassageWords, [new PlannedSentence(fact.Statement, fact.Value, draw.Int(0, room + 1))]);
        return new InstructionPair($"{passage}\n\nQuestion: {fact.Question}\nAnswer:", fact.Statement);
    }
}
