namespace LongRecipe.Lab.Live;

public static class LiveServices
{
    /// <summary>The run-event notifier, SignalR, and the relay from the notifier to <see cref="RunsHub"/>.</summary>
    public static IServiceCollection AddRunEvents(this IServiceCollection services)
    {
        services.AddSignalR();
        services.AddSingleton<RunNotifier>();
        services.AddHostedService<RunsHubRelay>();
        return services;
    }

    public static IEndpointRouteBuilder MapRunEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHub<RunsHub>(RunsHub.Path);
        return endpoints;
    }
}
