using MudBlazor;

namespace LongRecipe.Lab.Components.Layout;

/// <summary>The Lab's MudBlazor theme, and where its light or dark choice lives.</summary>
public static class LabTheme
{
    /// <summary>The browser's localStorage key holding "dark" or "light".</summary>
    public const string StorageKey = "lab-theme";

    /// <summary>The name of the cascading bool that is true in dark mode (charts read it to colour their text and grid).</summary>
    public const string DarkCascade = "dark";

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#00796b", Secondary = "#616161", AppbarBackground = "#00695c" },
        PaletteDark = new PaletteDark { Primary = "#4db6ac", Secondary = "#b0b0b0" },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
