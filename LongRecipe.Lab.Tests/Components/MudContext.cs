using Bunit;
using MudBlazor.Services;

namespace LongRecipe.Lab.Tests.Components;

/// <summary>A bunit context for Lab components: MudBlazor's services, and JavaScript calls answered with defaults (no browser).</summary>
public abstract class MudContext : BunitContext
{
    protected MudContext()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }
}
