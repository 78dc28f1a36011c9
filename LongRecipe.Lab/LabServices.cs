using LongRecipe.Lab.Live;
using LongRecipe.Lab.Services;
using Radzen;

namespace LongRecipe.Lab;

public static class LabServices
{
    /// <summary>Everything the Lab registers: options, Blazor, Radzen and the Lab's services.</summary>
    public static WebApplicationBuilder AddLabServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LabOptions>()
            .Bind(builder.Configuration.GetSection(LabOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddRazorComponents()
            .AddInteractiveServerComponents();
        builder.Services.AddRadzenComponents();

        builder.Services.AddRunEvents();
        builder.Services.AddRunStore();
        builder.Services.AddSingleton<EngineFactsReader>();
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<ImpactScorer>();
        builder.Services.AddHostedService<EngineSetup>();
        return builder;
    }
}
