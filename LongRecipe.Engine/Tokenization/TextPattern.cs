using System.Text;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// The pattern of HF's Replace and Split: a literal string (matched as an escaped regex, i.e. ordinally,
/// non-overlapping, left to right) or a regex.
/// </summary>
internal sealed class TextPattern
{
    private readonly string? literal;
    private readonly CodePointRegex? regex;

    private TextPattern(string? literal, CodePointRegex? regex) => (this.literal, this.regex) = (literal, regex);

    public static TextPattern Literal(string text) => new(text, null);

    public static TextPattern Regex(string pattern) => new(null, new CodePointRegex(pattern));

    /// <summary>Hands each match to <paramref name="match"/> as (start, length), left to right and non-overlapping, as it is found.</summary>
    public void Matches(string text, Action<int, int> match)
    {
        if (regex is not null)
        {
            regex.Matches(text, match);
            return;
        }
        for (var at = text.IndexOf(literal!, StringComparison.Ordinal); at >= 0;
             at = text.IndexOf(literal!, at + literal!.Length, StringComparison.Ordinal))
            match(at, literal!.Length);
    }

    public string Replace(string text, string content)
    {
        if (literal is not null) return text.Replace(literal, content, StringComparison.Ordinal);
        StringBuilder? result = null;
        var end = 0;
        regex!.Matches(text, (start, length) =>
        {
            (result ??= new StringBuilder(text.Length)).Append(text, end, start - end).Append(content);
            end = start + length;
        });
        return result?.Append(text, end, text.Length - end).ToString() ?? text;
    }
}
