using LongRecipe.Lab.Components;
using LongRecipe.Lab.Components.Charts;
using LongRecipe.Lab.Components.Pages.Home;
using LongRecipe.Lab.Components.Pages.Models;
using LongRecipe.Lab.Components.Pages.RunDashboard;
using LongRecipe.Lab.Components.Pages.TokenImpact;
using LongRecipe.Lab.Live;
using LongRecipe.Lab.Queue;
using MudBlazor.Services;

namespace LongRecipe.Lab;

public static class LabServices
{
    /// <summary>Everything the Lab registers: options, Blazor, MudBlazor and the Lab's services.</summary>
    public static WebApplicationBuilder AddLabServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LabOptions>()
            .Bind(builder.Configuration.GetSection(LabOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddRazorComponents()
            .AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<PlotlyScript>();
        builder.Services.AddScoped<NotFoundReason>();

        builder.Services.AddRunEvents();
        builder.Services.AddRunQueue();
        builder.Services.AddSingleton<EngineFactsReader>();
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<ImpactScorer>();
        builder.Services.AddSingleton<NeedleInspector>();
        builder.Services.AddHostedService<EngineSetup>();
        return builder;
    }
}
