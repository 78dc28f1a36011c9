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

    /// <summary>Appends the matches as (start, length), left to right and non-overlapping.</summary>
    public void Matches(string text, List<(int Start, int Length)> output)
    {
        if (regex is not null)
        {
            regex.Matches(text, output);
            return;
        }
        for (var at = text.IndexOf(literal!, StringComparison.Ordinal); at >= 0;
             at = text.IndexOf(literal!, at + literal!.Length, StringComparison.Ordinal))
            output.Add((at, literal!.Length));
    }

    public string Replace(string text, string content)
    {
        if (literal is not null) return text.Replace(literal, content, StringComparison.Ordinal);
        var matches = new List<(int Start, int Length)>();
        regex!.Matches(text, matches);
        if (matches.Count == 0) return text;
        var result = new StringBuilder(text.Length);
        var end = 0;
        foreach (var (start, length) in matches)
        {
            result.Append(text, end, start - end).Append(content);
            end = start + length;
        }
        return result.Append(text, end, text.Length - end).ToString();
    }
}
