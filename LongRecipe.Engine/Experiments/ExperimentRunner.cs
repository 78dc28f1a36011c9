using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Engine.Experiments;

/// <summary>Where an experiment stands: the phase, runs done of the phase's total, and the newest event of a run in flight.</summary>
public sealed record ExperimentProgress(ExperimentRole Phase, int Done, int Total, string Run, RunEvent? Event);

/// <summary>
/// Runs an <see cref="ExperimentSpec"/> in the run store: the learning-rate grid (<see cref="ExperimentSpec.Parallel"/>
/// runs at a time), the choice per method on the validation criterion, then the final runs one at a time. Resumable: a
/// planned run that already completed in the store is reused, an interrupted or cancelled one continues from
/// its checkpoint, a failed one is tried again as a new run. A cancel stops the runs in flight gracefully.
/// </summary>
public sealed class ExperimentRunner(RunLauncher launcher)
{
    /// <summary>
    /// Runs the experiment to its end and returns its results. Before the store holds anything of it, every problem that
    /// keeps its runs from running here (<paramref name="found"/>, those known already, among them) is named in one
    /// <see cref="RunSpecException"/> at the experiment's paths (<see cref="ExperimentSpec.LaunchProblems"/>).
    /// </summary>
    public async Task<ExperimentResults> RunAsync(ExperimentSpec spec, IReadOnlyList<SpecProblem>? found = null,
        IProgress<ExperimentProgress>? progress = null, CancellationToken cancel = default)
    {
        if (launcher.LaunchProblems(spec, found) is { Count: > 0 } problems) throw new RunSpecException(null, problems);
        launcher.Store.SaveExperiment(spec.Name, spec.ToJson());
        await RunAllAsync(spec, ExperimentRole.Selection, ExperimentPlan.Selection(spec), spec.Parallel, progress, cancel);
        var chosen = ExperimentResults.ChooseLearningRates(spec, launcher.Store);
        // One at a time: the final runs' seconds are the costs the report compares.
        await RunAllAsync(spec, ExperimentRole.Final, ExperimentPlan.Finals(spec, chosen), 1, progress, cancel);
        return ExperimentResults.Load(spec, launcher.Store);
    }

    private async Task RunAllAsync(ExperimentSpec spec, ExperimentRole phase, IReadOnlyList<RunSpec> runs, int parallel,
        IProgress<ExperimentProgress>? progress, CancellationToken cancel)
    {
        var existing = launcher.Store.ListRuns(new RunFilter(Experiment: spec.Name));
        var done = 0;
        using var slots = new SemaphoreSlim(parallel);
        async Task RunOneAsync(RunSpec run)
        {
            await slots.WaitAsync(cancel);
            try
            {
                var json = run.ToJson();
                var previous = existing.Where(r => r.Spec.ToJson() == json).ToList();
                if (!previous.Any(r => r.Status == RunStatus.Completed))
                {
                    var unfinished = previous.FirstOrDefault(r => r.Status is RunStatus.Interrupted or RunStatus.Cancelled);
                    var id = unfinished?.Id ?? launcher.Create(run);
                    await launcher.ExecuteAsync(id, resume: unfinished is not null, e =>
                    {
                        progress?.Report(new ExperimentProgress(phase, Volatile.Read(ref done), runs.Count, run.Name, e));
                        return ValueTask.CompletedTask;
                    }, cancel);
                }
                progress?.Report(new ExperimentProgress(phase, Interlocked.Increment(ref done), runs.Count, run.Name, null));
            }
            finally
            {
                slots.Release();
            }
        }
        await Task.WhenAll(runs.Select(RunOneAsync));
        cancel.ThrowIfCancellationRequested();
    }
}
