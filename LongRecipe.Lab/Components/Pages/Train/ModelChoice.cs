using LongRecipe.Engine.Recipes;
using LongRecipe.Lab.Components.Pages.Models;

namespace LongRecipe.Lab.Components.Pages.Train;

/// <summary>A model the Train page offers: the spec's model value ("builtin" or a directory) and what the list shows.</summary>
public sealed record ModelChoice(string Value, string Label)
{
    /// <summary>The built-in model first, then every usable catalog model by directory.</summary>
    public static IReadOnlyList<ModelChoice> From(IEnumerable<ModelEntry> catalog) =>
    [
        new(RunSpec.BuiltinModel, "built-in (Tiny Llama, 256-token window)"),
        .. catalog.Where(m => m.Usable && !(m.Source == ModelSource.Repository && m.Name == RunSpec.BuiltinModel))
            .Select(m => new ModelChoice(m.Directory, $"{m.Name} ({m.Config!.MaxPositionEmbeddings}-token window)")),
    ];
}
