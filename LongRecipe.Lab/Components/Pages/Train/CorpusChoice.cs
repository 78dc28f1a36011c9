using LongRecipe.Engine.Recipes;

namespace LongRecipe.Lab.Components.Pages.Train;

/// <summary>A corpus the Train page offers for training or evaluation: the spec's corpus value and what the list shows.</summary>
public sealed record CorpusChoice(string Value, string Label)
{
    /// <summary>
    /// The synthetic corpus, the real-text corpus when it has been fetched, and <paramref name="current"/> when the
    /// spec names some other one (a file or folder given in the JSON).
    /// </summary>
    public static IReadOnlyList<CorpusChoice> Offered(bool realFetched, string current) =>
    [
        new(DataSpec.Synthetic, "synthetic (the built-in generator)"),
        .. realFetched ? [new CorpusChoice(DataSpec.Real, "real text (data/corpora/real)")] : Array.Empty<CorpusChoice>(),
        .. current is DataSpec.Synthetic or DataSpec.Real ? [] : new[] { new CorpusChoice(current, current) },
    ];
}
