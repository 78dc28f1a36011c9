using System.Diagnostics;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using Microsoft.Data.Sqlite;

namespace LongRecipe.Engine.Tests.Runs;

/// <summary>
/// One owner per run: two stores on one file stand for two processes (each store is an owner of its own). A live
/// owner keeps its run Running for everyone; only an abandoned lease (expired, or a dead process of this host) makes
/// it Interrupted; a run is resumed by one process at a time; eval cells are stored once.
/// </summary>
public sealed class RunOwnershipTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("runowners");

    private string DatabasePath => Path.Combine(folder.FullName, "runs.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private RunStore Open(ManualClock clock) => RunStore.Open(DatabasePath, Lease, clock);

    private static long StartRun(RunStore store, string checkpoint = "")
    {
        var id = store.CreateRun(RunPresets.Pose(), "/runs/a");
        store.Append(id, new StatusEvent(T0, "extend", RunStatus.Running));
        if (checkpoint != "") store.Append(id, new CheckpointEvent(T0, "extend", 3, checkpoint));
        return id;
    }

    [Fact]
    public void A_run_live_in_another_process_stays_running_there_and_cannot_be_resumed_or_deleted_here()
    {
        using var owner = Open(new ManualClock(T0));
        var run = StartRun(owner);
        using var other = Open(new ManualClock(T0.AddSeconds(30)));

        var seen = other.GetRun(run)!;
        Assert.Equal(RunStatus.Running, seen.Status);
        Assert.Equal(new RunOwner(Environment.MachineName, Environment.ProcessId, T0), seen.Owner);
        var refused = Assert.Throws<RunOwnedException>(() => other.Claim(run, resume: true));
        Assert.Equal($"run {run} is running in process {Environment.ProcessId} on {Environment.MachineName} (its lease renewed 30 s ago); " +
                     "cancel it there, or wait for it to end", refused.Message);
        Assert.Contains("cancel it there before deleting it", Assert.Throws<RunOwnedException>(() => other.Delete(run)).Message);
        Assert.Empty(other.ReclaimAbandoned());

        // The owner carries on and ends it; the run is then free.
        owner.Append(run, new StatusEvent(T0.AddMinutes(1), "", RunStatus.Completed));
        Assert.Null(other.GetRun(run)!.Owner);
    }

    [Fact]
    public void A_lease_not_renewed_within_its_time_is_abandoned_and_the_run_reads_interrupted_with_where_it_resumes()
    {
        using var owner = Open(new ManualClock(T0));
        var checkpointed = StartRun(owner, "/runs/a/extend/checkpoints/step-000003");
        var early = StartRun(owner);
        var waiting = owner.CreateRun(RunPresets.Pose(), "/runs/b");
        var clock = new ManualClock(T0 + Lease);
        using var other = Open(clock);
        var heard = new List<(long, StatusEvent)>();
        other.Interrupted += (run, status) => heard.Add((run, status));
        Assert.Empty(other.ReclaimAbandoned());

        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal([checkpointed, early, waiting], other.ReclaimAbandoned().Order());
        var interrupted = other.GetRun(checkpointed)!;
        Assert.Equal((RunStatus.Interrupted, T0 + Lease + TimeSpan.FromSeconds(1), null), (interrupted.Status, interrupted.Ended, interrupted.Owner));
        Assert.Equal($"interrupted: process {Environment.ProcessId} on {Environment.MachineName}, last heard 61 s ago, stopped without ending it; " +
                     "resuming continues from /runs/a/extend/checkpoints/step-000003", interrupted.Error);
        Assert.EndsWith("it wrote no checkpoint, so resuming restarts it from step 1", other.GetRun(early)!.Error);
        // A run still waiting in the queue had done nothing: resuming it starts it.
        Assert.EndsWith("stopped without ending it; it had not started; resuming starts it", other.GetRun(waiting)!.Error);
        Assert.Equal([checkpointed, early, waiting], heard.Select(h => h.Item1).Order());
        Assert.All(heard, h => Assert.Equal(RunStatus.Interrupted, h.Item2.Status));

        // Resumed here, the run is this store's: the first owner, back, is refused.
        other.Claim(checkpointed, resume: true);
        Assert.Contains($"run {checkpointed} is interrupted in process {Environment.ProcessId}", Assert.Throws<RunOwnedException>(() => owner.Claim(checkpointed, resume: true)).Message);
    }

    [Fact]
    public void A_run_held_by_an_ended_process_of_this_host_is_interrupted_at_once()
    {
        using var ended = Process.Start(new ProcessStartInfo("true"))!;
        ended.WaitForExit();
        using (var store = Open(new ManualClock(T0)))
        {
            var id = store.CreateRun(RunPresets.Pose(), "/runs/a");
            store.Append(id, new StatusEvent(T0, "extend", RunStatus.Running));
            // What the ended process left: its lease, renewed just now.
            using var sql = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
            sql.Open();
            using var command = sql.CreateCommand();
            command.CommandText = "UPDATE runs SET owner = 'gone', owner_pid = $pid, owner_started = NULL WHERE id = $id";
            command.Parameters.AddWithValue("$pid", ended.Id);
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
        }
        using var reopened = Open(new ManualClock(T0.AddSeconds(1)));
        var run = Assert.Single(reopened.ListRuns());
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.StartsWith($"interrupted: process {ended.Id} on {Environment.MachineName}, last heard 1 s ago, stopped without ending it", run.Error);
    }

    [Fact]
    public void Of_two_processes_resuming_one_run_the_first_holds_it_and_the_second_is_refused()
    {
        long run;
        using (var first = Open(new ManualClock(T0)))
        {
            run = StartRun(first);
            first.Append(run, new StatusEvent(T0, "extend", RunStatus.Cancelled));
        }
        using var a = Open(new ManualClock(T0));
        using var b = Open(new ManualClock(T0));
        a.Claim(run, resume: true);
        Assert.Throws<RunOwnedException>(() => b.Claim(run, resume: true));
        a.Append(run, new StatusEvent(T0, "", RunStatus.Queued));
        Assert.Throws<RunOwnedException>(() => b.Claim(run, resume: true));
        Assert.Equal("run 1 is completed; only interrupted, cancelled or failed runs resume", Resumed(a, RunStatus.Completed));
    }

    private static string Resumed(RunStore store, RunStatus status)
    {
        store.Append(1, new StatusEvent(T0, "", status));
        return Assert.Throws<InvalidOperationException>(() => store.Claim(1, resume: true)).Message;
    }

    [Fact]
    public void Closing_a_store_interrupts_the_runs_it_still_holds()
    {
        long queued, running;
        using (var store = Open(new ManualClock(T0)))
        {
            queued = store.CreateRun(RunPresets.Pose(), "/runs/q");
            running = StartRun(store, "/runs/a/ck");
        }
        using var reopened = Open(new ManualClock(T0));
        Assert.Equal((RunStatus.Interrupted, RunStatus.Interrupted), (reopened.GetRun(queued)!.Status, reopened.GetRun(running)!.Status));
        Assert.Equal("interrupted: its process closed the run store without ending it; resuming continues from /runs/a/ck", reopened.GetRun(running)!.Error);
    }

    [Fact]
    public void An_eval_cell_written_again_replaces_the_first_and_keeps_its_place()
    {
        using var store = Open(new ManualClock(T0));
        var run = StartRun(store);
        EvalEvent Cell(string benchmark, double? depth, double value) => new(T0, "eval", benchmark, 512, depth, Metrics.Accuracy, value, 4);
        store.Append(run, [Cell("niah", 0, 0.25), Cell("niah", 50, 0.5), Cell("passkey", null, 0.75)]);
        // A resumed evaluation writes every cell again.
        store.Append(run, [Cell("niah", 0, 1.0), Cell("passkey", null, 0.5), Cell("niah", 100, 0.0)]);
        Assert.Equal([("niah", 0.0, 1.0), ("niah", 50.0, 0.5), ("passkey", null, 0.5), ("niah", 100.0, 0.0)],
            store.Evals(run).Select(e => (e.Benchmark, e.Depth, e.Value)));
    }
}
