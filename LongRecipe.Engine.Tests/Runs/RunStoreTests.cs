using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using Microsoft.Data.Sqlite;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Engine.Tests.Runs;

public sealed class RunStoreTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("runstore");
    private string DatabasePath => Path.Combine(folder.FullName, "runs.db");
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }

    private static StepEvent Step(string stage, long step, double loss) =>
        new(T0.AddSeconds(step), stage, step, 10, loss, 1e-3, 0.5, 100, 64 * step, 1 << 20, TimeSpan.FromSeconds(10 - step), 0);

    [Fact]
    public void Runs_given_one_folder_at_once_each_get_a_folder_of_their_own()
    {
        using var store = RunStore.Open(DatabasePath);
        using var other = RunStore.Open(DatabasePath);
        var wanted = Path.Combine(folder.FullName, "20261122-080000-000-pose");
        // A folder left on disk by no run of the store (a deleted run's, half removed) is not reused either.
        Directory.CreateDirectory(wanted + "-3");

        var runs = Enumerable.Range(0, 4)
            .Select(i => Task.Run(() => (i % 2 == 0 ? store : other).CreateRun(RunPresets.Pose(), wanted, T0), TestContext.Current.CancellationToken))
            .Select(t => t.Result).ToList();

        Assert.Equal([wanted, wanted + "-2", wanted + "-4", wanted + "-5"], runs.Select(id => store.GetRun(id)!.Folder).Order());
    }

    [Fact]
    public void A_run_with_its_events_reads_back_and_the_status_moves_its_times()
    {
        using var store = RunStore.Open(DatabasePath);
        var runFolder = Path.Combine(folder.FullName, "run-a");
        var id = store.CreateRun(RunPresets.Pose(), runFolder, T0);
        store.Append(id, [
            new StatusEvent(T0.AddSeconds(1), "extend", RunStatus.Running),
            new StageEvent(T0.AddSeconds(1), "extend", StagePhase.Started, 0, 1),
            Step("extend", 1, 5.0), Step("extend", 2, 4.0),
            new CheckpointEvent(T0.AddSeconds(3), "extend", 2, "/ck/2"),
            new EvalEvent(T0.AddSeconds(4), "extend", "niah", 512, 50, "accuracy", 0.75, 4),
            new EvalEvent(T0.AddSeconds(4), "extend", "perplexity", 512, null, "perplexity", 12.5, 4),
            new LogEvent(T0.AddSeconds(4), "extend", RunLogLevel.Warning, "slow"),
            new StatusEvent(T0.AddSeconds(5), "extend", RunStatus.Completed),
        ]);

        var run = store.GetRun(id)!;
        Assert.Equal(("pose", RunStatus.Completed, T0.AddSeconds(1), T0.AddSeconds(5), "/ck/2"),
            (run.Name, run.Status, run.Started, run.Ended, run.Checkpoint));
        Assert.Equal(RunPresets.Pose().ToJson(), run.Spec.ToJson());
        Assert.Equal([5.0, 4.0], store.Steps(id).Select(s => s.Loss));
        Assert.Equal(Step("extend", 2, 4.0), store.Steps(id)[1]);
        Assert.Equal([(double?)50, null], store.Evals(id).Select(e => e.Depth));
        Assert.Equal("slow", Assert.Single(store.LogTail(id)).Message);
        Assert.Equal([new StageEvent(T0.AddSeconds(1), "extend", StagePhase.Started, 0, 1)], store.Stages(id));
        store.Append(id, new StageEvent(T0.AddSeconds(6), "extend", StagePhase.Completed, 0, 1));
        Assert.Equal([StagePhase.Started, StagePhase.Completed], store.Stages(id).Select(s => s.Phase));
        Assert.Equal(T0.AddSeconds(6), store.Stages(id)[1].Time);

        Directory.CreateDirectory(runFolder);
        store.Delete(id);
        Assert.Null(store.GetRun(id));
        Assert.Empty(store.Steps(id));
        Assert.False(Directory.Exists(runFolder));
    }

    private static SearchEvent Generation(string stage, RopeSearchPhase phase, int generation, double best, params double[] factors) =>
        new(T0.AddSeconds(10 * (stage == "search-2" ? 10 : 1) + generation + (phase == RopeSearchPhase.Short ? 5 : 0)), stage, phase,
            stage == "search-2" ? 4 : 2, generation, 2, 4 + 3 * generation, best, generation, factors);

    [Fact]
    public void Search_generations_read_back_in_stage_order_a_rewritten_one_once_and_go_with_the_run()
    {
        using var store = RunStore.Open(DatabasePath);
        var id = store.CreateRun(RunPresets.LongRopeProgressive(), Path.Combine(folder.FullName, "run-s"), T0);
        store.Append(id, [
            new StageEvent(T0.AddSeconds(9), "search-1", StagePhase.Started, 0, 4),
            Generation("search-1", RopeSearchPhase.Long, 0, 20, 1, 1.5, 2.25),
            Generation("search-1", RopeSearchPhase.Long, 1, 18.5, 1, 1.75, 2.5),
            new StageEvent(T0.AddSeconds(99), "search-2", StagePhase.Started, 2, 4),
            Generation("search-2", RopeSearchPhase.Long, 0, 30, 1, 3, 5),
            Generation("search-1", RopeSearchPhase.Short, 0, 9.25, 1, 1, 1.1),
        ]);
        // A resumed search reports its last checkpointed generation's successor again: one row stays.
        store.Append(id, Generation("search-1", RopeSearchPhase.Long, 1, 18.5, 1, 1.75, 2.5));

        var searches = store.Searches(id);
        Assert.Equal([("search-1", RopeSearchPhase.Long, 0), ("search-1", RopeSearchPhase.Long, 1), ("search-1", RopeSearchPhase.Short, 0),
            ("search-2", RopeSearchPhase.Long, 0)], searches.Select(g => (g.Stage, g.Phase, g.Generation)));
        var second = searches[1];
        Assert.Equal((2.0, 2, 7, 18.5, 1), (second.Factor, second.Generations, second.Evaluated, second.BestPerplexity, second.InitialUnscaledTokens));
        Assert.Equal([1, 1.75, 2.5], second.Factors);

        var json = new MemoryStream();
        RunExports.Json(store, id, json);
        using (var exported = System.Text.Json.JsonDocument.Parse(json.ToArray()))
        {
            var first = exported.RootElement.GetProperty("searches")[0];
            Assert.Equal(("long", 20.0, 1.5), (first.GetProperty("phase").GetString(), first.GetProperty("best_perplexity").GetDouble(),
                first.GetProperty("factors")[1].GetDouble()));
        }

        store.Append(id, new StatusEvent(T0.AddSeconds(199), "", RunStatus.Completed, null));
        store.Delete(id);
        Assert.Empty(store.Searches(id));
    }

    [Fact]
    public void A_run_queued_or_running_here_is_not_deleted_until_it_has_ended()
    {
        using var store = RunStore.Open(DatabasePath);
        var runFolder = Path.Combine(folder.FullName, "run-q");
        var id = store.CreateRun(RunPresets.Pose(), runFolder, T0);
        Directory.CreateDirectory(runFolder);
        foreach (var status in new[] { RunStatus.Queued, RunStatus.Running })
        {
            if (status == RunStatus.Running) store.Append(id, new StatusEvent(T0.AddSeconds(1), "", RunStatus.Running, null));
            var refused = Assert.Throws<RunOwnedException>(() => store.Delete(id));
            Assert.Equal($"run {id} is {status.ToString().ToLowerInvariant()} here; cancel it before deleting it", refused.Message);
            Assert.NotNull(store.GetRun(id));
            Assert.True(Directory.Exists(runFolder), "the folder stays with the run");
        }
        store.Append(id, new StatusEvent(T0.AddSeconds(2), "", RunStatus.Cancelled, null));
        store.Delete(id);
        Assert.Null(store.GetRun(id));
        Assert.False(Directory.Exists(runFolder));
    }

    [Fact]
    public void Runs_filter_by_status_name_and_date_newest_first()
    {
        using var store = RunStore.Open(DatabasePath);
        var pose = store.CreateRun(RunPresets.Pose(), folder.FullName, T0);
        var yarn = store.CreateRun(RunPresets.Yarn(), folder.FullName, T0.AddDays(1));
        store.Append(yarn, new StatusEvent(T0.AddDays(1), "", RunStatus.Failed, "boom"));

        Assert.Equal([yarn, pose], store.ListRuns().Select(r => r.Id));
        Assert.Equal([yarn], store.ListRuns(new RunFilter(Status: RunStatus.Failed)).Select(r => r.Id));
        Assert.Equal([pose], store.ListRuns(new RunFilter(NameContains: "PO")).Select(r => r.Id));
        Assert.Equal([yarn], store.ListRuns(new RunFilter(CreatedAfter: T0.AddHours(1))).Select(r => r.Id));
        Assert.Equal("boom", store.GetRun(yarn)!.Error);
    }

    [Fact]
    public void Steps_downsample_to_at_most_the_points_asked_keeping_the_first_and_last()
    {
        using var store = RunStore.Open(DatabasePath);
        var id = store.CreateRun(RunPresets.Pose(), folder.FullName);
        store.Append(id, Enumerable.Range(1, 10).Select(i => (RunEvent)Step("extend", i, 10 - i)));
        // 10 steps at most 4 points: stride ⌈10/4⌉ = 3 keeps steps 1, 4, 7, 10.
        Assert.Equal([1L, 4, 7, 10], store.Steps(id, maxPoints: 4).Select(s => s.Step));
        Assert.Equal(10, store.Steps(id, maxPoints: 50).Count);
    }

    [Fact]
    public void A_version_1_database_migrates_with_its_data_intact_its_specs_in_the_earlier_names_load_and_its_cells_once()
    {
        // What the first build wrote: the version-1 tables only, user_version 1.
        using (var old = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText =
                """
                CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL,
                    created TEXT NOT NULL, started TEXT, ended TEXT, device TEXT NOT NULL, error TEXT, folder TEXT NOT NULL);
                CREATE TABLE steps (run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage TEXT NOT NULL, step INTEGER NOT NULL,
                    total_steps INTEGER NOT NULL, time TEXT NOT NULL, loss REAL NOT NULL, lr REAL NOT NULL, grad_norm REAL NOT NULL,
                    tokens_per_second REAL NOT NULL, tokens INTEGER NOT NULL, memory_bytes INTEGER NOT NULL, eta_seconds REAL NOT NULL,
                    skipped_steps INTEGER NOT NULL, PRIMARY KEY (run, stage, step));
                CREATE TABLE evals (run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage TEXT NOT NULL, time TEXT NOT NULL,
                    benchmark TEXT NOT NULL, context_length INTEGER NOT NULL, depth REAL, metric TEXT NOT NULL, value REAL NOT NULL,
                    samples INTEGER NOT NULL);
                CREATE TABLE logs (id INTEGER PRIMARY KEY AUTOINCREMENT, run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    stage TEXT NOT NULL, time TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
                INSERT INTO runs VALUES (7, 'old', $spec, 'Completed', '2026-01-01T00:00:00.0000000Z', NULL, NULL, 'cpu', NULL, '/runs/7');
                INSERT INTO steps VALUES (7, 'extend', 1, 1, '2026-01-01T00:00:01.0000000Z', 3.5, 0.001, 1, 10, 64, 0, 0, 0);
                INSERT INTO runs VALUES (8, 'left running', $spec, 'Running', '2026-01-01T00:00:00.0000000Z', NULL, NULL, 'cpu', NULL, '/runs/8');
                -- What two processes resuming run 8 wrote before cells had keys: each cell twice.
                INSERT INTO evals VALUES (8, 'eval', '2026-01-01T00:00:02.0000000Z', 'niah', 256, 50, 'accuracy', 0.5, 1);
                INSERT INTO evals VALUES (8, 'eval', '2026-01-01T00:00:02.0000000Z', 'passkey', 256, NULL, 'accuracy', 0.5, 1);
                INSERT INTO evals VALUES (8, 'eval', '2026-01-01T00:00:03.0000000Z', 'niah', 256, 50, 'accuracy', 1.0, 1);
                INSERT INTO evals VALUES (8, 'eval', '2026-01-01T00:00:03.0000000Z', 'passkey', 256, NULL, 'accuracy', 1.0, 1);
                PRAGMA user_version = 1;
                """;
            // The spec as the builds of version 1 wrote it (lr, batch_size, dtype "float32", the transform's own target_length).
            command.Parameters.AddWithValue("$spec", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recipes", "Earlier", "longrecipe.json")));
            command.ExecuteNonQuery();
        }

        using var store = RunStore.Open(DatabasePath);
        var run = store.GetRun(7)!;
        Assert.Equal(("old", RunStatus.Completed, "/runs/7", (string?)null), (run.Name, run.Status, run.Folder, run.Checkpoint));
        Assert.Equal(RunPresets.LongRecipe().ToJson(), run.Spec.ToJson());
        Assert.Equal(3.5, Assert.Single(store.Steps(7)).Loss);
        store.Append(7, new CheckpointEvent(T0, "extend", 1, "/runs/7/ck"));
        Assert.Equal("/runs/7/ck", store.GetRun(7)!.Checkpoint);
        // A run an earlier build left Running has no owner to wait for; its cells are kept once each, the newer.
        Assert.Equal(RunStatus.Interrupted, store.GetRun(8)!.Status);
        Assert.Equal("interrupted: the process running it stopped without ending it; it wrote no checkpoint, so resuming restarts it from step 1", store.GetRun(8)!.Error);
        Assert.Equal([("niah", 1.0), ("passkey", 1.0)], store.Evals(8).Select(e => (e.Benchmark, e.Value)));

        using var check = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        Assert.Equal((long)RunStore.SchemaVersion, version.ExecuteScalar());
        version.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", version.ExecuteScalar());
    }

    [Fact]
    public void A_loss_or_value_that_is_not_a_number_is_stored_and_reads_back_as_nan()
    {
        using var store = RunStore.Open(DatabasePath);
        var id = store.CreateRun(RunPresets.Pose(), folder.FullName);
        // What a skipped step and the evaluation of a model with NaN weights report.
        store.Append(id, [Step("extend", 1, double.NaN) with { GradNorm = double.NaN }, Step("extend", 2, 3.0) with { GradNorm = double.PositiveInfinity },
            new EvalEvent(T0, "eval", Benchmarks.Perplexity, 512, null, Metrics.Perplexity, double.NaN, 4)]);
        Assert.Equal([(double.NaN, double.NaN), (3.0, double.PositiveInfinity)], store.Steps(id).Select(s => (s.Loss, s.GradNorm)));
        Assert.True(double.IsNaN(Assert.Single(store.Evals(id)).Value));
    }

    [Fact]
    public void A_file_that_is_not_sqlite_is_named_in_the_error_and_left_as_it_was()
    {
        var bytes = "this is not a database, but it is long enough to look like a header of sorts."u8.ToArray();
        File.WriteAllBytes(DatabasePath, bytes);
        var error = Assert.Throws<RunStoreException>(() => RunStore.Open(DatabasePath));
        Assert.Contains(DatabasePath, error.Message);
        Assert.Equal(bytes, File.ReadAllBytes(DatabasePath));
    }

    [Fact]
    public void Concurrent_appends_from_many_threads_all_land()
    {
        using var store = RunStore.Open(DatabasePath);
        var id = store.CreateRun(RunPresets.Pose(), folder.FullName);
        Parallel.For(0, 8, thread => store.Append(id, Enumerable.Range(0, 25).Select(i => (RunEvent)Step($"s{thread}", i, i))));
        Assert.Equal(200, store.Steps(id).Count);
    }
}
