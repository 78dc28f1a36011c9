using System.Globalization;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.Models;
using LongRecipe.Lab.Live;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Queue;

/// <summary>A run the queue holds: waiting (Running false) or executing; Resume continues it from its checkpoint.</summary>
public sealed record QueuedRun(long RunId, string Name, string Device, bool Resume, bool Running);

/// <summary>
/// The Lab's runs, one after another per device: specs are validated and created through the
/// <see cref="RunLauncher"/>, wait in order, and execute with at most one run per CUDA device and at most
/// <see cref="LabOptions.CpuConcurrency"/> CPU runs at a time; a run whose device is busy lets later runs
/// on free devices go first. Every event goes to the store (the launcher) and to the <see cref="RunNotifier"/>.
/// A hosted service: stopping the Lab stops running runs gracefully (they checkpoint, read Interrupted and can resume).
/// </summary>
public sealed class RunQueue(RunLauncher launcher, RunNotifier notifier, IOptions<LabOptions> options, ILogger<RunQueue> logger,
    ModelCatalog? catalog = null)
    : BackgroundService
{
    private sealed class Entry(QueuedRun run)
    {
        public QueuedRun Run { get; set; } = run;
        public CancellationTokenSource Cancel { get; } = new();
        public Task? Execution { get; set; }
    }

    private readonly Lock gate = new();
    private readonly List<Entry> entries = [];
    private readonly SemaphoreSlim wake = new(0);

    /// <summary>Waiting and running runs, in queue order (running first as they were queued first).</summary>
    public IReadOnlyList<QueuedRun> Active
    {
        get
        {
            lock (gate) return entries.Select(e => e.Run).ToList();
        }
    }

    /// <summary>Raised (on any thread) after a run joins, starts or leaves the queue.</summary>
    public event Action? Changed;

    /// <summary>
    /// Validates <paramref name="spec"/> (one <see cref="RunSpecException"/> lists all its <see cref="Problems"/>), creates
    /// the run and queues it; returns its id.
    /// </summary>
    public async Task<long> EnqueueAsync(RunSpec spec, IReadOnlyList<SpecProblem>? found = null)
    {
        var id = launcher.Create(spec, Known(spec, found));
        await Add(new QueuedRun(id, spec.Name, spec.Device.ToString(), Resume: false, Running: false));
        return id;
    }

    /// <summary>
    /// Every problem <see cref="EnqueueAsync"/> would refuse <paramref name="spec"/> for, in one list (empty when it can be
    /// queued): <paramref name="found"/>, those known already, by default its rules'; paths outside the folders the Lab
    /// reads from (<see cref="ModelCatalog.PlaceProblems"/>); what the machine lacks (<see cref="RunLauncher.LaunchProblems(RunSpec, IReadOnlyList{SpecProblem}?)"/>).
    /// The Train page checks its spec with it as it changes.
    /// </summary>
    public IReadOnlyList<SpecProblem> Problems(RunSpec spec, IReadOnlyList<SpecProblem>? found = null) => launcher.LaunchProblems(spec, Known(spec, found));

    /// <summary><paramref name="found"/> (by default the rules') and the places the Lab refuses at the fields none of them touches.</summary>
    private IReadOnlyList<SpecProblem> Known(RunSpec spec, IReadOnlyList<SpecProblem>? found)
    {
        found ??= spec.Problems();
        return [.. found, .. catalog?.PlaceProblems(spec).Where(p => !found.Any(f => f.Touches(p.Path))) ?? []];
    }

    /// <summary>
    /// Queues an Interrupted, Cancelled or Failed run to continue from its newest checkpoint, holding it for the Lab; a
    /// run another live process holds is refused (<see cref="RunOwnedException"/> names the process).
    /// </summary>
    public async Task ResumeAsync(long runId)
    {
        var run = launcher.Store.GetRun(runId) ?? throw new ArgumentException($"there is no run {runId}", nameof(runId));
        lock (gate)
        {
            if (entries.Any(e => e.Run.RunId == runId)) throw new InvalidOperationException($"run {runId} is already queued");
        }
        launcher.Store.Claim(runId, resume: true);
        await Add(new QueuedRun(runId, run.Name, run.Spec.Device.ToString(), Resume: true, Running: false));
    }

    public static bool CanResume(RunStatus status) => RunStore.CanResume(status);

    /// <summary>
    /// Cancels run <paramref name="runId"/>: a waiting run leaves the queue as Cancelled at once; a running one
    /// finishes its step, checkpoints and ends Cancelled. False when the queue does not hold the run.
    /// </summary>
    public async Task<bool> CancelAsync(long runId)
    {
        bool waiting;
        lock (gate)
        {
            var entry = entries.FirstOrDefault(e => e.Run.RunId == runId);
            if (entry is null) return false;
            waiting = entry.Execution is null;
            // Under the lock: a run that just ended disposes its token source only after leaving the list.
            if (waiting) entries.Remove(entry);
            else entry.Cancel.Cancel();
        }
        if (waiting)
        {
            await Record(runId, new StatusEvent(DateTimeOffset.UtcNow, "", RunStatus.Cancelled));
            Changed?.Invoke();
        }
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Runs whose process is gone (the store checks its owners' leases) show as Interrupted on open pages at once.
        void Abandoned(long run, StatusEvent status) => _ = Publish(run, status);
        launcher.Store.Interrupted += Abandoned;
        try
        {
            while (true)
            {
                await wake.WaitAsync(stoppingToken);
                StartWhatFits();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Task[] running;
            long[] stopped;
            lock (gate)
            {
                foreach (var e in entries) e.Cancel.Cancel();
                running = entries.Select(e => e.Execution).OfType<Task>().ToArray();
                stopped = entries.Where(e => e.Execution is not null).Select(e => e.Run.RunId).ToArray();
            }
            await Task.WhenAll(running);
            // The Lab stopping is not its user cancelling: such a run reads Interrupted, as after a crash, and resumes alike.
            foreach (var id in stopped.Where(id => launcher.Store.GetRun(id)?.Status == RunStatus.Cancelled))
                await Record(id, new StatusEvent(DateTimeOffset.UtcNow, "", RunStatus.Interrupted,
                    "interrupted: the Lab stopped while it ran; resuming continues from its newest checkpoint"));
        }
        finally
        {
            launcher.Store.Interrupted -= Abandoned;
        }
    }

    private async Task Add(QueuedRun run)
    {
        // Queued again in the store too (a resumed run was Cancelled, Failed or Interrupted), so every page agrees.
        await Record(run.RunId, new StatusEvent(DateTimeOffset.UtcNow, "", RunStatus.Queued));
        lock (gate) entries.Add(new Entry(run));
        Changed?.Invoke();
        wake.Release();
    }

    /// <summary>Starts every waiting run whose device has a free slot, in queue order.</summary>
    private void StartWhatFits()
    {
        var started = false;
        lock (gate)
        {
            foreach (var entry in entries.Where(e => e.Execution is null).ToList())
            {
                var busy = entries.Count(e => e.Execution is not null && e.Run.Device == entry.Run.Device);
                if (busy >= SlotsOf(entry.Run.Device)) continue;
                entry.Run = entry.Run with { Running = true };
                entry.Execution = Task.Run(() => Execute(entry));
                started = true;
            }
        }
        if (started) Changed?.Invoke();
    }

    private int SlotsOf(string device) => device == "cpu" ? options.Value.CpuConcurrency : 1;

    private async Task Execute(Entry entry)
    {
        var id = entry.Run.RunId;
        try
        {
            var status = await launcher.ExecuteAsync(id, entry.Run.Resume, e => new ValueTask(Publish(id, e)), entry.Cancel.Token);
            logger.LogInformation("Run {RunId} ({Name}) ended {Status}", id, entry.Run.Name, status);
        }
        catch (RunOwnedException e)
        {
            // Another process took the run (the Lab's lease lapsed): it is that process's to end, not this queue's.
            logger.LogWarning("Run {RunId} not executed: {Reason}", id, e.Message);
        }
        catch (Exception e)
        {
            // The runner reports its own failures as events; this is the launcher failing around it (e.g. the store).
            logger.LogError(e, "Run {RunId} could not execute", id);
            await Record(id, new StatusEvent(DateTimeOffset.UtcNow, "", RunStatus.Failed, e.Message));
        }
        finally
        {
            lock (gate) entries.Remove(entry);
            entry.Cancel.Dispose();
            Changed?.Invoke();
            wake.Release();
        }
    }

    private async Task Record(long runId, RunEvent runEvent)
    {
        launcher.Store.Append(runId, runEvent);
        await Publish(runId, runEvent);
    }

    private Task Publish(long runId, RunEvent runEvent) => notifier.PublishAsync(Key(runId), runEvent);

    /// <summary>The notifier's name for a run: its id as text.</summary>
    public static string Key(long runId) => runId.ToString(CultureInfo.InvariantCulture);

    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }
}
