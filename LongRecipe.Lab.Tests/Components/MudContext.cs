using Bunit;
using LongRecipe.Lab.Components.Charts;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace LongRecipe.Lab.Tests.Components;

/// <summary>A bunit context for Lab components: MudBlazor's and the charts' services, and JavaScript calls answered with defaults (no browser).</summary>
public abstract class MudContext : BunitContext
{
    protected MudContext()
    {
        Services.AddMudServices();
        Services.AddScoped<PlotlyScript>();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }
}
