using System.Threading.Channels;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;

namespace LongRecipe.Engine.Runs;

/// <summary>
/// Runs specs against the run store, the same way for the Lab and the command line: a run gets a record and a
/// folder under <paramref name="runsFolder"/>; while it runs, its events go into the store (a batch per
/// transaction) and to an observer (the Lab's notifier, the command line's progress bar), in order. The engine's
/// work is synchronous; this is the one place it moves to a thread of its own, so the caller's thread stays free.
/// <paramref name="realCorpus"/> is the folder specs name "real" (the data directory's corpora/real).
/// </summary>
public sealed class RunLauncher(RunStore store, string runsFolder, string builtinModel, string? realCorpus = null)
{
    public RunStore Store => store;

    private const int FolderNameCharacters = 64;

    /// <summary>Every problem that keeps <paramref name="spec"/> from running here (<see cref="RunSpec.LaunchProblems"/>, with this launcher's folders).</summary>
    public IReadOnlyList<SpecProblem> LaunchProblems(RunSpec spec, IReadOnlyList<SpecProblem>? found = null) =>
        spec.LaunchProblems(realCorpus, builtinModel, found);

    /// <summary>Every problem that keeps the experiment's runs from running here (<see cref="ExperimentSpec.LaunchProblems"/>, with this launcher's folders).</summary>
    public IReadOnlyList<SpecProblem> LaunchProblems(ExperimentSpec spec, IReadOnlyList<SpecProblem>? found = null) =>
        spec.LaunchProblems(realCorpus, builtinModel, found);

    /// <summary>
    /// Validates <paramref name="spec"/>, with what it needs of this machine (its corpora and model directory must exist,
    /// the weights' headers match its config, its sizes fit the device's memory) before a run is queued, and adds it as
    /// a Queued run with a folder of its own; returns its id. Every problem is named in one <see cref="RunSpecException"/>,
    /// <paramref name="found"/> (those known already, as <see cref="RunSpec.LaunchProblems"/> takes them) among them, and
    /// nothing is left behind.
    /// </summary>
    public long Create(RunSpec spec, IReadOnlyList<SpecProblem>? found = null)
    {
        if (LaunchProblems(spec, found) is { Count: > 0 } problems) throw new RunSpecException(null, problems);
        var created = DateTimeOffset.UtcNow;
        // The name is free text; its folder takes a bounded, file-system-safe prefix of it (a file name holds 255 bytes).
        var safe = new string([.. spec.Name.Take(FolderNameCharacters).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);
        var folder = Path.Combine(runsFolder, $"{created:yyyyMMdd-HHmmss-fff}-{safe}");
        return store.CreateRun(spec, folder, created);
    }

    /// <summary>
    /// Runs (or, with <paramref name="resume"/>, continues) run <paramref name="runId"/> to its end, holding it for this
    /// process (<see cref="RunStore.Claim"/>: a run another live process holds is refused, naming it). Cancelling
    /// stops it gracefully (the step finishes and is checkpointed); the run then reads Cancelled and can resume.
    /// </summary>
    public async Task<RunStatus> ExecuteAsync(long runId, bool resume = false, Func<RunEvent, ValueTask>? observe = null,
        CancellationToken cancel = default)
    {
        store.Claim(runId, resume);
        var record = store.GetRun(runId)!;
        var runner = new RecipeRunner(record.Spec, record.Folder, builtinModel, realCorpus);
        var channel = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var running = OnOwnThread($"run {runId}", () => runner.Run(e => channel.Writer.TryWrite(e), resume, stop.Token))
            .ContinueWith(t => channel.Writer.Complete(t.Exception), TaskScheduler.Default);

        var batch = new List<RunEvent>();
        try
        {
            // The reader is not cancelled: a cancelled run still reports its last step, checkpoint and status.
            while (await channel.Reader.WaitToReadAsync(CancellationToken.None))
            {
                batch.Clear();
                while (channel.Reader.TryRead(out var e)) batch.Add(e);
                store.Append(runId, batch);
                if (observe is not null)
                    foreach (var e in batch) await observe(e);
            }
        }
        catch (RunStoreException)
        {
            // A store that cannot record (a full disk) stops the run: it checkpoints if it can, and its events go unheard.
            await stop.CancelAsync();
            await running;
            throw;
        }
        await running;
        return store.GetRun(runId)!.Status;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a new background thread (a training loop holds its thread for hours, which the
    /// thread pool should not lend); the task ends with its result or its exception.
    /// </summary>
    private static Task<T> OnOwnThread<T>(string name, Func<T> work)
    {
        var finished = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                finished.SetResult(work());
            }
            catch (Exception e)
            {
                finished.SetException(e);
            }
        }) { IsBackground = true, Name = name };
        thread.Start();
        return finished.Task;
    }
}
