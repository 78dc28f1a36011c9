using LongRecipe.Engine.Evaluation;
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

    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
