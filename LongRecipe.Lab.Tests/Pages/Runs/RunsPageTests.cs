using Bunit;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Live;
using LongRecipe.Lab.Tests.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;

namespace LongRecipe.Lab.Tests.Pages.Runs;

/// <summary>The Runs page rendered (bunit) over a real store that another process writes to as well.</summary>
public sealed class RunsPageTests : MudContext
{
    private readonly SeededStore seeded = new();

    public RunsPageTests()
    {
        Services.AddSingleton(seeded.Store);
        Services.AddSingleton(new RunNotifier(NullLogger<RunNotifier>.Instance));
    }

    [Fact]
    public void A_run_another_process_resumed_after_the_list_was_drawn_is_not_deleted_and_the_page_says_why()
    {
        var run = seeded.Create(RunPresets.Pose(), SeededStore.Start);
        seeded.Status(run, SeededStore.Start, RunStatus.Failed);
        Directory.CreateDirectory(seeded.FolderOf(run));
        var dialogs = Render<MudDialogProvider>();
        var page = Render<LongRecipe.Lab.Components.Pages.Runs.Runs>();

        // The command line resumes the failed run while the page still offers to delete it.
        using var cli = RunStore.Open(seeded.Store.FilePath);
        cli.Claim(run, resume: true);
        cli.Append(run, new StatusEvent(SeededStore.Start.AddMinutes(1), "extend", RunStatus.Running));
        page.Find(".delete-run").Click();
        // The dialog and the deletion after it finish on the renderer's own time; each wait ends at the render that shows them.
        dialogs.WaitForState(() => DeleteButton(dialogs) is not null, Patience);
        DeleteButton(dialogs)!.Click();
        var snackbars = Services.GetRequiredService<ISnackbar>();
        page.WaitForState(() => snackbars.ShownSnackbars.Any(), Patience);

        var message = Assert.Single(snackbars.ShownSnackbars).Message;
        Assert.Equal($"Run #{run} was not deleted: run {run} is running in process {Environment.ProcessId} on {Environment.MachineName}; cancel it there before deleting it", message);
        Assert.Equal(RunStatus.Running, seeded.Store.GetRun(run)!.Status);
        Assert.True(Directory.Exists(seeded.FolderOf(run)));
    }

    /// <summary>A bound for a loaded machine only: the waits return at the first render that satisfies them.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static AngleSharp.Dom.IElement? DeleteButton(IRenderedComponent<MudDialogProvider> dialogs) =>
        dialogs.FindAll("button").SingleOrDefault(b => b.TextContent.Trim() == "Delete");

    protected override void Dispose(bool disposing)
    {
        if (disposing) seeded.Dispose();
        base.Dispose(disposing);
    }
}
