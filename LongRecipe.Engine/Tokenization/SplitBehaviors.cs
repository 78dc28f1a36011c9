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
    /// Cuts a text of <paramref name="length"/> units at the matches that <paramref name="matches"/> hands over (left to
    /// right, non-overlapping), handing each non-empty piece to <paramref name="piece"/> as [start, end) once it is whole:
    /// a piece waits only for the parts that may still join it, so a long text's pieces are never all held. With
    /// <paramref name="invert"/> the gaps play the part of the matches.
    /// </summary>
    public static void Apply(int length, Action<Action<int, int>> matches, SplitBehavior behavior, bool invert, Action<int, int> piece)
    {
        // The whole text as alternating gaps and matches, as HF's Pattern::find_matches lays it out, one part at a time.
        // A piece not yet handed on is one part (one that joins another is handed on at once), or a run for Contiguous.
        (int Start, int End, bool IsMatch)? pending = null;
        void HandOn()
        {
            if (pending is { } p && p.End != p.Start) piece(p.Start, p.End);
            pending = null;
        }
        void Part(int start, int end, bool isMatch)
        {
            var joins = behavior switch
            {
                SplitBehavior.Contiguous => pending?.IsMatch == isMatch,
                SplitBehavior.MergedWithPrevious => isMatch && pending?.IsMatch == false,
                SplitBehavior.MergedWithNext => !isMatch && pending?.IsMatch == true,
                _ => false,
            };
            if (joins)
            {
                pending = pending!.Value with { End = end };
                if (behavior != SplitBehavior.Contiguous) HandOn();
                return;
            }
            HandOn();
            if (behavior == SplitBehavior.Removed && isMatch) return;
            pending = (start, end, isMatch);
            // Only a part that a later one may join waits.
            if (behavior is SplitBehavior.Isolated or SplitBehavior.Removed) HandOn();
        }

        var previousEnd = 0;
        matches((start, matchLength) =>
        {
            if (start != previousEnd) Part(previousEnd, start, invert);
            Part(start, start + matchLength, !invert);
            previousEnd = start + matchLength;
        });
        if (previousEnd != length) Part(previousEnd, length, invert);
        HandOn();
    }
}
