using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.Models;
using LongRecipe.Lab.Live;
using LongRecipe.Lab.Queue;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Tests.Components;

/// <summary>
/// A bunit context with the Lab's real run queue over a real SQLite store in a temporary data directory, the repository's
/// models in its catalog: for pages that check and queue runs. The directory goes with the context.
/// </summary>
public abstract class QueueContext : MudContext
{
    protected string Data { get; } = Directory.CreateTempSubdirectory("lab-queue-").FullName;

    protected RunStore Store { get; }

    protected QueueContext()
    {
        var root = Workspace.LocateRoot();
        var workspace = new Workspace(root, Data);
        var options = Options.Create(new LabOptions { DataDirectory = Data });
        Store = RunStore.Open(workspace.StoreFile);
        var catalog = new ModelCatalog(options, new HostingEnvironment { ContentRootPath = root }, Store);
        var launcher = new RunLauncher(Store, workspace.RunsFolder, workspace.BuiltinModel, workspace.RealCorpus);
        var notifier = new RunNotifier(NullLogger<RunNotifier>.Instance);
        Services.AddSingleton(workspace);
        Services.AddSingleton<IOptions<LabOptions>>(options);
        Services.AddSingleton(Store);
        Services.AddSingleton(notifier);
        Services.AddSingleton(catalog);
        Services.AddSingleton(new RunQueue(launcher, notifier, options, NullLogger<RunQueue>.Instance, catalog));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Data, recursive: true);
    }
}
