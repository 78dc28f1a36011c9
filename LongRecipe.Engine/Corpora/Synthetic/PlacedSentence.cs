namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// A sentence placed in generated text, recorded so analysis can look exactly there.
/// <paramref name="Offset"/> counts the <see cref="TextMeasure"/> units before it (words, or the
/// caller's tokens); <paramref name="CharOffset"/> indexes its first character in the text;
/// <paramref name="ValueCharOffset"/> indexes the first character of <paramref name="Value"/> (the
/// fact's value, the needle's answer) inside it.
/// </summary>
public sealed record PlacedSentence(string Text, int Offset, int CharOffset, string Value, int ValueCharOffset);
