using System.Text;

namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>A sentence to place at a planned offset; <paramref name="Value"/> occurs in <paramref name="Text"/>.</summary>
internal sealed record PlannedSentence(string Text, string Value, int Offset);

/// <summary>
/// Lays out text of an exact length with given sentences at exact offsets: filler sentences fill each
/// gap while they fit, then a filler sentence cut short (its first k words and a period) closes it.
/// Lengths and offsets are exact whenever some one-word fragment costs one unit (always in words;
/// with a tokenizer, nearly always); otherwise a gap stays a little short and the planned sentence
/// lands a little early, and the recorded offsets say where it really is. Never longer than asked.
/// </summary>
internal sealed class Layout(TextMeasure measure, Func<string> nextFiller, Draw draw, double paragraphBreakChance)
{
    private readonly StringBuilder text = new();
    private int length;
    private bool breakNext;

    /// <summary>
    /// Text of <paramref name="targetLength"/> units with each planned sentence starting at its offset.
    /// The planned sentences must be in offset order and not overlap (the caller plans with measured lengths).
    /// </summary>
    public (string Text, int Length, PlacedSentence[] Placed) Build(int targetLength, IReadOnlyList<PlannedSentence> planned)
    {
        text.Clear();
        length = 0;
        breakNext = false;
        var placed = new PlacedSentence[planned.Count];
        for (var i = 0; i < planned.Count; i++)
        {
            FillTo(planned[i].Offset);
            var offset = length;
            var charOffset = Append(planned[i].Text);
            placed[i] = new PlacedSentence(planned[i].Text, offset, charOffset, planned[i].Value,
                charOffset + planned[i].Text.IndexOf(planned[i].Value, StringComparison.Ordinal));
        }
        FillTo(targetLength);
        return (text.ToString(), length, placed);
    }

    /// <summary>The units a planned sentence costs, measured as it is placed: after a space.</summary>
    public int Cost(string sentence) => measure.Count(" " + sentence);

    public string Unit => measure.Unit;

    private void FillTo(int target)
    {
        while (length < target)
        {
            var sentence = nextFiller();
            if (length + measure.Count(Separator() + sentence) <= target)
            {
                Append(sentence);
                breakNext = draw.Chance(paragraphBreakChance);
            }
            else if (!AppendLongestPrefix(sentence, target)) return;
        }
    }

    private bool AppendLongestPrefix(string sentence, int target)
    {
        var words = sentence.Split(' ');
        for (var k = words.Length - 1; k >= 1; k--)
        {
            var prefix = string.Join(' ', words[..k]).TrimEnd(',', ';') + ".";
            if (length + measure.Count(Separator() + prefix) > target) continue;
            Append(prefix);
            return true;
        }
        return false;
    }

    /// <summary>Appends a sentence after its separator; returns the index of its first character.</summary>
    private int Append(string sentence)
    {
        var separator = Separator();
        length += measure.Count(separator + sentence);
        text.Append(separator);
        var start = text.Length;
        text.Append(sentence);
        breakNext = false;
        return start;
    }

    private string Separator() => text.Length == 0 ? "" : breakNext ? "\n\n" : " ";
}
