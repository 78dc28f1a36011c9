using Bunit;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.Models;
using LongRecipe.Lab.Live;
using LongRecipe.Lab.Queue;
using LongRecipe.Lab.Tests.Components;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TrainPage = LongRecipe.Lab.Components.Pages.Train.Train;

namespace LongRecipe.Lab.Tests.Pages.Train;

/// <summary>The Train page (bunit) over a real queue and store in a temporary data directory, with the repository's models.</summary>
public sealed class TrainPageTests : MudContext
{
    private readonly string data = Directory.CreateTempSubdirectory("lab-train-").FullName;
    private readonly RunStore store;

    public TrainPageTests()
    {
        var root = Workspace.LocateRoot();
        var workspace = new Workspace(root, data);
        var options = Options.Create(new LabOptions { DataDirectory = data });
        store = RunStore.Open(workspace.StoreFile);
        var catalog = new ModelCatalog(options, new HostingEnvironment { ContentRootPath = root }, store);
        var launcher = new RunLauncher(store, workspace.RunsFolder, workspace.BuiltinModel, workspace.RealCorpus);
        Services.AddSingleton(workspace);
        Services.AddSingleton<IOptions<LabOptions>>(options);
        Services.AddSingleton(catalog);
        Services.AddSingleton(new RunQueue(launcher, new RunNotifier(NullLogger<RunNotifier>.Instance), options, NullLogger<RunQueue>.Instance, catalog));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(data, recursive: true);
    }

    /// <summary>
    /// The form's check answers what starting the run would: a rule's problem and a corpus that is not there together (it
    /// used to look for the corpora only once the rules passed, and never at the model or memory: two rounds, or more).
    /// </summary>
    [Fact]
    public void The_form_names_a_rule_problem_and_a_missing_corpus_together()
    {
        var page = Render<TrainPage>();
        Assert.Empty(Shown(page));
        var gone = Path.Combine(data, "gone.jsonl");
        var spec = RunPresets.Pose() with
        {
            Name = "checked", TargetLength = 512, Data = new DataSpec(Corpus: gone, Documents: 1),
            Stages = [new ExtendStage(new TransformSpec(PositionScheme.Pose), SequenceLength: 128, Steps: 2, MicroBatchSize: 1)],
            Eval = new EvalSpec(),
        };

        page.FindAll("[role=tab]").Single(t => t.TextContent.Trim() == "JSON").Click();
        page.Find(".spec-json textarea").Change(spec.ToJson());
        page.Find(".load-json").Click();
        Assert.Equal([$"data.corpus: {gone}: no such file or folder"], Shown(page));

        page.Find(".extend-steps input").Change("0");
        Assert.Equal(["stages[0].steps: must be ≥ 1, got 0", "stages[0].warmup_steps: must be in [0, steps = 0), got 0",
            $"data.corpus: {gone}: no such file or folder"], Shown(page));
        Assert.Empty(store.ListRuns());
    }

    /// <summary>The problems the page's alert lists, as "path: message".</summary>
    private static List<string> Shown(IRenderedComponent<TrainPage> page) =>
        [.. page.FindAll(".spec-problems li").Select(li => li.TextContent.Trim())];
}
