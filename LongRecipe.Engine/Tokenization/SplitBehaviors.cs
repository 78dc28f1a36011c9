namespace LongRecipe.Engine.Tokenization;

/// <summary>What a split does with the matches of its pattern (HF's SplitDelimiterBehavior).</summary>
internal enum SplitBehavior
{
    /// <summary>Matches are dropped; the gaps between them are the pieces.</summary>
    Removed,
    /// <summary>Every match and every gap is its own piece.</summary>
    Isolated,
    /// <summary>A match joins the piece before it.</summary>
    MergedWithPrevious,
    /// <summary>A match joins the piece after it.</summary>
    MergedWithNext,
    /// <summary>Runs of consecutive matches (and of gaps) become one piece each.</summary>
    Contiguous,
}

internal static class SplitBehaviors
{
    /// <summary>
    /// The non-empty pieces, as [start, end) ranges, of a text of <paramref name="length"/> units cut at
    /// <paramref name="matches"/> (left to right, non-overlapping). With <paramref name="invert"/> the
    /// gaps play the part of the matches.
    /// </summary>
    public static List<(int Start, int End)> Apply(
        int length, List<(int Start, int Length)> matches, SplitBehavior behavior, bool invert)
    {
        // The whole text as alternating gaps and matches, as HF's Pattern::find_matches lays it out.
        var parts = new List<(int Start, int End, bool IsMatch)>(2 * matches.Count + 1);
        var previousEnd = 0;
        foreach (var (start, matchLength) in matches)
        {
            if (start != previousEnd) parts.Add((previousEnd, start, invert));
            parts.Add((start, start + matchLength, !invert));
            previousEnd = start + matchLength;
        }
        if (previousEnd != length) parts.Add((previousEnd, length, invert));

        var pieces = new List<(int Start, int End)>(parts.Count);
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var (start, end, _) in parts) pieces.Add((start, end));
                break;
            case SplitBehavior.Removed:
                foreach (var (start, end, isMatch) in parts)
                    if (!isMatch) pieces.Add((start, end));
                break;
            case SplitBehavior.Contiguous:
                for (var i = 0; i < parts.Count; i++)
                {
                    if (i > 0 && parts[i].IsMatch == parts[i - 1].IsMatch) pieces[^1] = (pieces[^1].Start, parts[i].End);
                    else pieces.Add((parts[i].Start, parts[i].End));
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                for (var i = 0; i < parts.Count; i++)
                {
                    var joins = parts[i].IsMatch && i > 0 && !parts[i - 1].IsMatch;
                    if (joins) pieces[^1] = (pieces[^1].Start, parts[i].End);
                    else pieces.Add((parts[i].Start, parts[i].End));
                }
                break;
            case SplitBehavior.MergedWithNext:
                // The mirror image of MergedWithPrevious, walked from the end.
                for (var i = parts.Count - 1; i >= 0; i--)
                {
                    var joins = parts[i].IsMatch && i < parts.Count - 1 && !parts[i + 1].IsMatch;
                    if (joins) pieces[^1] = (parts[i].Start, pieces[^1].End);
                    else pieces.Add((parts[i].Start, parts[i].End));
                }
                pieces.Reverse();
                break;
        }
        pieces.RemoveAll(p => p.End == p.Start);
        return pieces;
    }
}
