using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Lab.Tests.Pages.Runs;

/// <summary>
/// A real run store on a temporary file, filled the way a run fills it: a record, then the events a run
/// emits (status, stages, steps, eval cells, checkpoints), so the values under test are known by hand.
/// </summary>
public sealed class SeededStore : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);

    private readonly string folder = Directory.CreateTempSubdirectory("lab-runs-").FullName;

    public RunStore Store { get; }

    public SeededStore() => Store = RunStore.Open(Path.Combine(folder, "runs.db"));

    /// <summary>Adds a run of <paramref name="spec"/> created at <paramref name="created"/>, its folder under the temp folder.</summary>
    public long Create(RunSpec spec, DateTimeOffset created) =>
        Store.CreateRun(spec, Path.Combine(folder, "runs", $"{spec.Name}-{created:yyyyMMddHHmmss}"), created);

    public string FolderOf(long run) => Store.GetRun(run)!.Folder;

    public void Status(long run, DateTimeOffset time, RunStatus status) => Store.Append(run, new StatusEvent(time, "base", status));

    /// <summary>A stage's steps 1…n of n, one second apart from <paramref name="from"/>, each of <paramref name="tokensPerStep"/> tokens.</summary>
    public void Steps(long run, string stage, DateTimeOffset from, IReadOnlyList<double> losses, long tokensPerStep = 100)
    {
        Store.Append(run, new StageEvent(from, stage, StagePhase.Started, stage == "extend" ? 0 : 1, 2));
        Store.Append(run, losses.Select((loss, i) => (RunEvent)new StepEvent(from.AddSeconds(i + 1), stage, i + 1, losses.Count, loss,
            1e-4 * (i + 1), 0.5, 1000 + i, tokensPerStep * (i + 1), 0, TimeSpan.Zero, 0)));
        Store.Append(run, new StageEvent(from.AddSeconds(losses.Count), stage, StagePhase.Completed, stage == "extend" ? 0 : 1, 2));
    }

    public void Eval(long run, string benchmark, int length, string metric, double value, double? depth = null, string stage = RecipeRunner.EvalStage) =>
        Store.Append(run, new EvalEvent(Start, stage, benchmark, length, depth, metric, value, 1));

    public void Passkey(long run, int length, double accuracy) => Eval(run, Benchmarks.Passkey, length, "accuracy", accuracy);

    public void Perplexity(long run, int length, double perplexity) => Eval(run, Benchmarks.Perplexity, length, "perplexity", perplexity);

    public void Needle(long run, int length, double depth, double accuracy) => Eval(run, Benchmarks.Niah, length, "accuracy", accuracy, depth);

    /// <summary>
    /// A recipe run created on the 20th (90 s: 3 extend steps of 304 tokens, 2 anneal steps of 1024; needles at 256 (0, 100%)
    /// and 512 (0%); passkeys and perplexity up to 1024; a checkpoint and a saved model) and a PoSE run created on the 21st
    /// (30 s: 4 extend steps of 512 tokens; one needle at 256 (50%), a passkey at 256, perplexity at 1024), both completed.
    /// </summary>
    public (long Recipe, long Pose) SeedRecipeAndPose()
    {
        var recipe = Create(RunPresets.LongRecipe(), Start);
        Status(recipe, Start, RunStatus.Running);
        Steps(recipe, "extend", Start, [4.0, 3.5, 3.0], tokensPerStep: 304);
        Steps(recipe, "anneal", Start.AddSeconds(10), [2.9, 2.75], tokensPerStep: 1024);
        Needle(recipe, 256, 0, 1.0);
        Needle(recipe, 256, 100, 0.0);
        Needle(recipe, 512, 0, 0.5);
        Passkey(recipe, 256, 1.0);
        Passkey(recipe, 1024, 0.25);
        Passkey(recipe, 512, 0.5);
        Perplexity(recipe, 256, 10);
        Perplexity(recipe, 1024, 40);
        Store.Append(recipe, new CheckpointEvent(Start.AddSeconds(12), "anneal", 2, "/runs/r/anneal/checkpoint-2"));
        Status(recipe, Start.AddSeconds(90), RunStatus.Completed);
        Directory.CreateDirectory(Path.Combine(FolderOf(recipe), RecipeRunner.ModelFolder));

        var day = Start.AddDays(1);
        var pose = Create(RunPresets.Pose(), day);
        Status(pose, day, RunStatus.Running);
        Steps(pose, "extend", day, [5.0, 4.5, 4.0, 3.8], tokensPerStep: 512);
        Needle(pose, 256, 50, 1.0);
        Passkey(pose, 256, 0.5);
        Perplexity(pose, 1024, 55);
        Status(pose, day.AddSeconds(30), RunStatus.Completed);
        return (recipe, pose);
    }

    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}

/// <summary>Tests that each get a fresh <see cref="SeededStore"/>, removed after the test.</summary>
public abstract class SeededStoreTests : IDisposable
{
    protected static readonly DateTimeOffset Start = SeededStore.Start;

    protected SeededStore Seeded { get; } = new();

    public void Dispose()
    {
        Seeded.Dispose();
        GC.SuppressFinalize(this);
    }
}
