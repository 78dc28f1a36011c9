namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>The little of reStructuredText the corpus builder reads: section titles and their adornment lines.</summary>
internal static class ReStructuredText
{
    /// <summary>An adornment: one punctuation character repeated at least three times ("=====", "-----"), a title's underline or a transition.</summary>
    public static bool IsAdornment(string line)
    {
        var trimmed = line.Trim();
        return trimmed.Length >= 3 && (char.IsPunctuation(trimmed[0]) || char.IsSymbol(trimmed[0])) && trimmed.All(c => c == trimmed[0]);
    }

    /// <summary>
    /// The first section title: a line of text whose next line is an adornment, e.g. "What is Linux?" over
    /// "--------------" (an overline above it changes nothing); directives ("..") are not titles. Null without one.
    /// </summary>
    public static string? Title(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || IsAdornment(line) || line.StartsWith("..", StringComparison.Ordinal)) continue;
            if (IsAdornment(lines[i + 1])) return line;
        }
        return null;
    }
}
