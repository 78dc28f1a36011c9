using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Corpora.Retrieval;

/// <summary>Real text as a needle's haystack: a document's beginning cut to a number of tokens, and the needle placed at a sentence boundary.</summary>
public static class TextHaystack
{
    /// <summary>
    /// The text of the first <paramref name="tokens"/> of <paramref name="documentIds"/>, ending at the last white
    /// space, so no word (and no character split across tokens) is cut; the whole document when it is shorter.
    /// </summary>
    public static string Prefix(Tokenizer tokenizer, int[] documentIds, int tokens)
    {
        if (tokens <= 0) return "";
        var text = tokenizer.Decode(documentIds[..Math.Min(tokens, documentIds.Length)]);
        if (tokens >= documentIds.Length) return text.TrimEnd();
        var end = text.Length;
        while (end > 0 && !char.IsWhiteSpace(text[end - 1])) end--;
        return text[..end].TrimEnd();
    }

    /// <summary>
    /// <paramref name="needle"/> inserted into <paramref name="text"/> at the sentence boundary nearest
    /// <paramref name="depthPercent"/>% of its characters (<see cref="Boundaries"/>), so at 100% it follows the last
    /// whole sentence. Returns the context and the character index where the needle starts.
    /// </summary>
    public static (string Context, int NeedleChar) Insert(string text, string needle, double depthPercent)
    {
        var target = depthPercent / 100 * text.Length;
        var best = Boundaries(text).MinBy(b => (Math.Abs(b - target), b));
        if (best >= text.Length) return text.Length == 0 ? (needle, 0) : ($"{text} {needle}", text.Length + 1);
        return (text[..best] + needle + " " + text[best..], best);
    }

    /// <summary>
    /// Where a sentence may start: 0; every place after white space that follows a sentence's end (. ! ? with any
    /// closing quotes or brackets) or a line break; and the end, when the text ends a sentence (a haystack cut to a
    /// number of tokens usually stops mid-sentence, and a needle goes before that sentence rather than inside it).
    /// </summary>
    internal static IEnumerable<int> Boundaries(string text)
    {
        yield return 0;
        for (var i = 1; i < text.Length; i++)
        {
            if (!char.IsWhiteSpace(text[i - 1]) || char.IsWhiteSpace(text[i])) continue;
            // text[i] starts a word after white space; look back over the space at what ended before it.
            var k = i - 1;
            var lineBreak = false;
            while (k >= 0 && char.IsWhiteSpace(text[k]))
            {
                lineBreak |= text[k] == '\n';
                k--;
            }
            if (lineBreak || EndsSentence(text, k)) yield return i;
        }
        if (text.Length > 0 && EndsSentence(text, text.Length - 1)) yield return text.Length;
    }

    /// <summary>Whether text[..(k + 1)] ends with . ! or ?, closing quotes and brackets aside.</summary>
    private static bool EndsSentence(string text, int k)
    {
        while (k >= 0 && text[k] is '"' or '\'' or ')' or ']' or '”' or '’') k--;
        return k >= 0 && text[k] is '.' or '!' or '?';
    }
}
