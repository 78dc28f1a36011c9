using LongRecipe.Engine.Runs;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Queue;

public static class QueueServices
{
    /// <summary>
    /// The workspace (repository root and data directory), its one run store, the launcher over both, and the
    /// <see cref="RunQueue"/> as a singleton that is also the hosted service.
    /// </summary>
    public static IServiceCollection AddRunQueue(this IServiceCollection services)
    {
        services.AddSingleton(sp => new Workspace(
            sp.GetRequiredService<IHostEnvironment>().ContentRootPath,
            Path.GetFullPath(sp.GetRequiredService<IOptions<LabOptions>>().Value.DataDirectory, sp.GetRequiredService<IHostEnvironment>().ContentRootPath)));
        // Opening the store marks runs whose process is gone (a Lab that died, say) Interrupted, ready to resume.
        services.AddSingleton(sp => RunStore.Open(sp.GetRequiredService<Workspace>().StoreFile));
        services.AddSingleton(sp =>
        {
            var workspace = sp.GetRequiredService<Workspace>();
            return new RunLauncher(sp.GetRequiredService<RunStore>(), workspace.RunsFolder, workspace.BuiltinModel, workspace.RealCorpus);
        });
        services.AddSingleton<RunQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<RunQueue>());
        return services;
    }
}
