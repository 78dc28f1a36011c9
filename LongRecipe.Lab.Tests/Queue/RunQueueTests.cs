using System.Collections.Concurrent;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Live;
using LongRecipe.Lab.Queue;
using LongRecipe.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Tests.Queue;

/// <summary>
/// The queue over a real store in a temporary folder, running real (tiny) recipes on the built-in model. Waits follow
/// the runs' events (<see cref="ProgressWait"/>): a run slow on a busy machine is waited for as long as it reports.
/// </summary>
public sealed class RunQueueTests : IAsyncLifetime
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("runqueue-");
    private readonly RunNotifier notifier = new(NullLogger<RunNotifier>.Instance);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<RunEvent>> published = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RunStatus>> ended = new();
    private RunStore store = null!;
    private RunQueue queue = null!;
    private IDisposable? subscription;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        store = RunStore.Open(Path.Combine(folder.FullName, "runs.db"));
        var launcher = new RunLauncher(store, Path.Combine(folder.FullName, "runs"), Path.Combine(Workspace.LocateRoot(), "models", "builtin"));
        queue = new RunQueue(launcher, notifier, Options.Create(new LabOptions { CpuConcurrency = 1 }), NullLogger<RunQueue>.Instance);
        subscription = notifier.SubscribeAll((run, e) =>
        {
            published.GetOrAdd(run, _ => new()).Enqueue(e);
            if (e is StatusEvent { Status: not (RunStatus.Queued or RunStatus.Running) } s) Ended(run).TrySetResult(s.Status);
            return Task.CompletedTask;
        });
        await queue.StartAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await queue.StopAsync(CancellationToken.None);
        queue.Dispose();
        subscription?.Dispose();
        store.Dispose();
        SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }

    private TaskCompletionSource<RunStatus> Ended(string run) =>
        ended.GetOrAdd(run, _ => new TaskCompletionSource<RunStatus>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>How many events the queue has published so far: the runs' progress.</summary>
    private object EventCount() => published.Values.Sum(q => q.Count);

    private Task<RunStatus> EndOf(long run) => ProgressWait.For(Ended(RunQueue.Key(run)).Task, EventCount, $"run {run} ending", Cancel);

    /// <summary>One extend stage of <paramref name="steps"/> steps at L = 160 over T = 512, and a one-cell NIAH.</summary>
    private static RunSpec Tiny(string name, int steps = 2) => RunPresets.LongRecipe() with
    {
        Name = name,
        TargetLength = 512,
        Data = new DataSpec(Documents: 2),
        Stages = [new ExtendStage(new TransformSpec(PositionScheme.LongRecipe, 1), SequenceLength: 160, Steps: steps, MicroBatchSize: 1, LearningRate: 1e-4, CheckpointEvery: 1)],
        Eval = new EvalSpec(Niah: new NeedleEvalSpec([256], [50], NeedlesPerCell: 1)),
    };

    [Fact]
    public async Task An_invalid_spec_is_refused_with_its_problems_and_creates_no_run()
    {
        var error = await Assert.ThrowsAsync<RunSpecException>(() => queue.EnqueueAsync(Tiny("bad") with { TargetLength = 100 }));
        Assert.Contains(error.Problems, p => p.Path == "target_length");
        Assert.Empty(store.ListRuns());
        Assert.Empty(queue.Active);
    }

    [Fact]
    public async Task A_spec_this_machine_cannot_run_is_refused_at_its_fields_before_it_is_queued()
    {
        var tiny = Tiny("too big");
        var error = await Assert.ThrowsAsync<RunSpecException>(() => queue.EnqueueAsync(tiny with
        {
            Model = Path.Combine(folder.FullName, "no-model"), NativeLength = null,
        }));
        Assert.Equal([("model", $"{Path.Combine(folder.FullName, "no-model")}: no such model directory")], error.Problems.Select(p => (p.Path, p.Message)));
        error = await Assert.ThrowsAsync<RunSpecException>(() => queue.EnqueueAsync(tiny with
        {
            Stages = [((ExtendStage)tiny.Stages[0]) with { MicroBatchSize = 1_000_000_000 }],
            Eval = new EvalSpec(Passkey: new PasskeyEvalSpec([10_000_000], Samples: 1)),
        }));
        Assert.Equal(["stages[0].micro_batch_size", "eval.passkey.lengths[0]"], error.Problems.Select(p => p.Path));
        Assert.All(error.Problems, p => Assert.Contains("GiB, more than the", p.Message));
        Assert.Empty(store.ListRuns());
    }

    [Fact]
    public async Task Cpu_runs_take_turns_a_waiting_run_cancels_at_once_and_every_event_is_published()
    {
        var a = await queue.EnqueueAsync(Tiny("a"));
        var b = await queue.EnqueueAsync(Tiny("b"));
        var c = await queue.EnqueueAsync(Tiny("c"));
        Assert.True(await queue.CancelAsync(c));

        Assert.Equal(RunStatus.Cancelled, await EndOf(c));
        Assert.Equal(RunStatus.Completed, await EndOf(a));
        Assert.Equal(RunStatus.Completed, await EndOf(b));

        var (runA, runB, runC) = (store.GetRun(a)!, store.GetRun(b)!, store.GetRun(c)!);
        // One CPU slot: b starts only after a has ended.
        Assert.True(runB.Started >= runA.Ended, $"b started {runB.Started:O}, a ended {runA.Ended:O}");
        Assert.Equal((RunStatus.Cancelled, null), (runC.Status, runC.Started));
        Assert.Empty(store.Steps(c));
        // The notifier saw what the store holds: the same steps, and the status sequence queued → running → completed.
        Assert.Equal(store.Steps(a), published[RunQueue.Key(a)].OfType<StepEvent>());
        Assert.Equal([RunStatus.Queued, RunStatus.Running, RunStatus.Completed], published[RunQueue.Key(a)].OfType<StatusEvent>().Select(s => s.Status));
        Assert.Equal(2, store.Evals(a).Count);
        await QueueEmpty();
        Assert.False(await queue.CancelAsync(a));
    }

    [Fact]
    public async Task Stopping_the_Lab_interrupts_a_running_run_rather_than_cancelling_it()
    {
        var stepped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var first = notifier.SubscribeAll((_, e) =>
        {
            if (e is StepEvent) stepped.TrySetResult();
            return Task.CompletedTask;
        });
        var id = await queue.EnqueueAsync(Tiny("long", 40));
        await ProgressWait.For(stepped.Task, EventCount, "the first step", Cancel);
        await queue.StopAsync(CancellationToken.None);
        var run = store.GetRun(id)!;
        Assert.Equal((RunStatus.Interrupted, "interrupted: the Lab stopped while it ran; resuming continues from its newest checkpoint"), (run.Status, run.Error));
        Assert.NotNull(run.Checkpoint);
        Assert.True(RunQueue.CanResume(run.Status));
    }

    [Fact]
    public async Task A_running_run_cancels_gracefully_and_resumes_to_completion()
    {
        const int steps = 40;
        var stepped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var first = notifier.SubscribeAll((_, e) =>
        {
            if (e is StepEvent) stepped.TrySetResult();
            return Task.CompletedTask;
        });
        var id = await queue.EnqueueAsync(Tiny("long", steps));
        await ProgressWait.For(stepped.Task, EventCount, "the first step", Cancel);
        Assert.True(await queue.CancelAsync(id));
        Assert.Equal(RunStatus.Cancelled, await EndOf(id));
        var done = store.Steps(id).Count;
        Assert.InRange(done, 1, steps - 1);
        Assert.NotNull(store.GetRun(id)!.Checkpoint);

        await QueueEmpty();
        ended.TryRemove(RunQueue.Key(id), out _);
        await queue.ResumeAsync(id);
        Assert.Equal(RunStatus.Completed, await EndOf(id));
        // Resumed from its checkpoint: every step stored once, the last one the stage's last.
        Assert.Equal(Enumerable.Range(1, steps).Select(i => (long)i), store.Steps(id).Select(s => s.Step));
        await QueueEmpty();
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.ResumeAsync(id));
    }

    /// <summary>Until the queue holds no run: it says so through <see cref="RunQueue.Changed"/> after the run's last event.</summary>
    private async Task QueueEmpty()
    {
        var empty = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (queue.Active.Count == 0) empty.TrySetResult();
        }
        queue.Changed += Check;
        try
        {
            Check();
            await ProgressWait.For(empty.Task, EventCount, "the queue emptying", Cancel);
        }
        finally
        {
            queue.Changed -= Check;
        }
    }
}
