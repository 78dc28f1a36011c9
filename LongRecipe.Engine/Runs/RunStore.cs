using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Recipes;
using Microsoft.Data.Sqlite;

namespace LongRecipe.Engine.Runs;

/// <summary>A run as the store holds it. Times are UTC; Folder holds the run's checkpoints and artifacts.</summary>
public sealed record RunRecord(
    long Id, string Name, RunSpec Spec, RunStatus Status,
    DateTimeOffset Created, DateTimeOffset? Started, DateTimeOffset? Ended,
    string Device, string? Error, string Folder, string? Checkpoint, RunOwner? Owner = null);

/// <summary>
/// The process holding a Queued or Running run (its queue, or the one executing it): host, process id, and when it last
/// renewed its lease. A lease not renewed within the store's lease time, or held by a process of this host that has
/// ended, is abandoned: only then is the run Interrupted.
/// </summary>
public sealed record RunOwner(string Host, int ProcessId, DateTimeOffset Heartbeat);

/// <summary>
/// Which runs to list: any status when null, names containing <paramref name="NameContains"/>, created at or after
/// <paramref name="CreatedAfter"/>, of the experiment named <paramref name="Experiment"/> (its spec's experiment.name).
/// </summary>
public sealed record RunFilter(RunStatus? Status = null, string? NameContains = null, DateTimeOffset? CreatedAfter = null, string? Experiment = null);

/// <summary>An experiment as the store sees it: its name, how many runs it has and how many completed, and when its first run was created.</summary>
public sealed record ExperimentSummary(string Name, int Runs, int Completed, DateTimeOffset Created);

/// <summary>The database file cannot be opened as a run store; the message names the file.</summary>
public sealed class RunStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A run another live process holds (runs, or has queued); the message names that process.</summary>
public sealed class RunOwnedException(string message) : InvalidOperationException(message);

/// <summary>
/// Runs, their step series, eval cells and logs in one SQLite file (WAL, so the Lab reads while a run writes).
/// One connection serves every call under a lock, which makes the API thread-safe and keeps SQLite to one writer.
/// The schema carries its version in PRAGMA user_version and is brought forward by ordered migrations on open.
/// Every statement names its columns and every row is read by column name, so a migration that adds columns changes
/// nothing here. Exports (CSV, JSON) are <see cref="RunExports"/>'.
/// <para>
/// Ownership: a Queued or Running run belongs to one process (<see cref="RunOwner"/>): the one that created or
/// claimed it through this store, which renews its lease every <c>lease / 6</c>. Several processes share the file (the
/// Lab, the command line); each one, on open and at every renewal, marks Interrupted the runs whose owner is gone (a
/// lease older than <c>lease</c>, or a process of this host that has ended), and no other: a run live elsewhere stays
/// Running and cannot be claimed (resumed) or deleted here. Steps and eval cells have unique keys, so a step or cell
/// written again replaces the earlier one.
/// </para>
/// </summary>
public sealed class RunStore : IDisposable
{
    /// <summary>Migration i takes a database from version i to i + 1; the schema version is their count.</summary>
    private static readonly string[] Migrations =
    [
        // 0 → 1: runs, steps, evals, logs.
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL,
            created TEXT NOT NULL, started TEXT, ended TEXT, device TEXT NOT NULL, error TEXT, folder TEXT NOT NULL);
        CREATE TABLE steps (
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage TEXT NOT NULL, step INTEGER NOT NULL,
            total_steps INTEGER NOT NULL, time TEXT NOT NULL, loss REAL NOT NULL, lr REAL NOT NULL, grad_norm REAL NOT NULL,
            tokens_per_second REAL NOT NULL, tokens INTEGER NOT NULL, memory_bytes INTEGER NOT NULL, eta_seconds REAL NOT NULL,
            skipped_steps INTEGER NOT NULL, PRIMARY KEY (run, stage, step));
        CREATE TABLE evals (
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage TEXT NOT NULL, time TEXT NOT NULL,
            benchmark TEXT NOT NULL, context_length INTEGER NOT NULL, depth REAL, metric TEXT NOT NULL, value REAL NOT NULL,
            samples INTEGER NOT NULL);
        CREATE TABLE logs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            stage TEXT NOT NULL, time TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
        """,
        // 1 → 2: the latest checkpoint per run (to resume) and stage boundaries.
        """
        ALTER TABLE runs ADD COLUMN checkpoint TEXT;
        CREATE TABLE stages (
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage TEXT NOT NULL, idx INTEGER NOT NULL,
            count INTEGER NOT NULL, started TEXT, ended TEXT, PRIMARY KEY (run, stage));
        CREATE INDEX evals_run ON evals(run);
        CREATE INDEX logs_run ON logs(run, id);
        """,
        // 2 → 3: experiments (methods × seeds), their specs; their runs carry the name in spec.experiment.
        """
        CREATE TABLE experiments (name TEXT PRIMARY KEY, spec TEXT NOT NULL, created TEXT NOT NULL);
        """,
        // 3 → 4: search stages' generations (a resumed search writes a generation again: the key keeps one).
        """
        CREATE TABLE searches (
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage TEXT NOT NULL, phase TEXT NOT NULL, factor REAL NOT NULL,
            generation INTEGER NOT NULL, generations INTEGER NOT NULL, time TEXT NOT NULL, evaluated INTEGER NOT NULL,
            best_perplexity REAL NOT NULL, initial_unscaled_tokens INTEGER NOT NULL, factors TEXT NOT NULL,
            PRIMARY KEY (run, stage, phase, factor, generation));
        """,
        // 4 → 5: an owner's lease on Queued and Running runs; one row per eval cell (duplicates written by two processes
        // resuming one run are dropped, the newest kept); a loss, gradient norm or eval value that is not a number (NaN,
        // which SQLite stores as NULL) has room: those columns allow NULL (SQLite changes a column's rules by copying).
        """
        ALTER TABLE runs ADD COLUMN owner TEXT;
        ALTER TABLE runs ADD COLUMN owner_host TEXT;
        ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
        ALTER TABLE runs ADD COLUMN owner_started TEXT;
        ALTER TABLE runs ADD COLUMN heartbeat TEXT;
        CREATE TABLE steps_5 (
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage TEXT NOT NULL, step INTEGER NOT NULL,
            total_steps INTEGER NOT NULL, time TEXT NOT NULL, loss REAL, lr REAL NOT NULL, grad_norm REAL,
            tokens_per_second REAL NOT NULL, tokens INTEGER NOT NULL, memory_bytes INTEGER NOT NULL, eta_seconds REAL NOT NULL,
            skipped_steps INTEGER NOT NULL, PRIMARY KEY (run, stage, step));
        INSERT INTO steps_5 SELECT run, stage, step, total_steps, time, loss, lr, grad_norm, tokens_per_second, tokens,
            memory_bytes, eta_seconds, skipped_steps FROM steps;
        DROP TABLE steps;
        ALTER TABLE steps_5 RENAME TO steps;
        CREATE TABLE evals_5 (
            run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage TEXT NOT NULL, time TEXT NOT NULL,
            benchmark TEXT NOT NULL, context_length INTEGER NOT NULL, depth REAL, metric TEXT NOT NULL, value REAL,
            samples INTEGER NOT NULL);
        INSERT INTO evals_5 SELECT run, stage, time, benchmark, context_length, depth, metric, value, samples FROM evals
            WHERE rowid IN (SELECT max(rowid) FROM evals GROUP BY run, stage, benchmark, context_length, coalesce(depth, -1), metric)
            ORDER BY rowid;
        DROP TABLE evals;
        ALTER TABLE evals_5 RENAME TO evals;
        CREATE INDEX evals_run ON evals(run);
        CREATE UNIQUE INDEX evals_cell ON evals(run, stage, benchmark, context_length, coalesce(depth, -1), metric);
        """,
    ];

    /// <summary>How long an owner's lease lasts without renewal, unless <see cref="Open"/> is told otherwise.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(60);

    public static int SchemaVersion => Migrations.Length;

    private readonly SqliteConnection connection;
    private readonly Lock gate = new();
    private readonly TimeProvider time;
    private readonly TimeSpan lease;
    // This store's claims: one token per open store, so two stores of one process (tests) are two owners too.
    private readonly string token = Guid.NewGuid().ToString("N");
    private readonly ITimer heartbeat;
    private bool disposed;

    public string FilePath { get; }

    /// <summary>Raised (on a timer thread, or the caller's) for each run this store found abandoned and marked Interrupted.</summary>
    public event Action<long, StatusEvent>? Interrupted;

    private RunStore(string path, SqliteConnection connection, TimeSpan lease, TimeProvider time)
    {
        FilePath = path;
        this.connection = connection;
        this.lease = lease;
        this.time = time;
        heartbeat = time.CreateTimer(_ => Beat(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Opens (creating if absent) the store at <paramref name="path"/>, migrating it and marking the runs whose owner is
    /// gone Interrupted. <paramref name="lease"/> (default <see cref="DefaultLease"/>) is how long this store's claims
    /// last unrenewed and how long others' may; <paramref name="time"/> is the clock leases are read by.
    /// </summary>
    public static RunStore Open(string path, TimeSpan? lease = null, TimeProvider? time = null)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
            // The first read of the file: a file that is not SQLite fails here, before anything is written.
            var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), CultureInfo.InvariantCulture);
            if (version > Migrations.Length)
                throw new RunStoreException($"{full}: schema version {version} is newer than this build's {Migrations.Length}");
            Execute(connection, "PRAGMA journal_mode = WAL;");
            for (var v = version; v < Migrations.Length; v++)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, Migrations[v] + $"PRAGMA user_version = {v + 1};", transaction);
                transaction.Commit();
            }
            var store = new RunStore(full, connection, lease ?? DefaultLease, time ?? TimeProvider.System);
            store.ReclaimAbandoned();
            var renewal = store.lease / 6;
            store.heartbeat.Change(renewal, renewal);
            return store;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Failure(full, "cannot open the run store", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // ---- ownership ---------------------------------------------------------------

    /// <summary>Whether a run in <paramref name="status"/> can be resumed (continued from its newest checkpoint).</summary>
    public static bool CanResume(RunStatus status) => status is RunStatus.Interrupted or RunStatus.Cancelled or RunStatus.Failed;

    private static readonly string Host = Environment.MachineName;

    private static readonly DateTimeOffset ProcessStarted = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    /// <summary>
    /// Takes run <paramref name="runId"/> for this store's process: to execute it as created, or, with
    /// <paramref name="resume"/>, to continue it (it must then be Interrupted, Cancelled or Failed, unless this store holds
    /// it already). Refused with <see cref="RunOwnedException"/> while another live process holds it.
    /// </summary>
    public void Claim(long runId, bool resume) => Write(t =>
    {
        ReclaimAbandoned(t);
        var row = OwnerRows("WHERE id = $id", t, ("$id", runId)).SingleOrDefault()
                  ?? throw new ArgumentException($"there is no run {runId}", nameof(runId));
        if (row.Token == token) return;
        if (Live(row) && row.Owner is { } owner)
            throw new RunOwnedException(
                $"run {runId} is {row.Status.ToString().ToLowerInvariant()} in process {owner.ProcessId} on {owner.Host} " +
                $"(its lease renewed {Age(owner.Heartbeat)} ago); cancel it there, or wait for it to end");
        if (resume && !CanResume(row.Status))
            throw new InvalidOperationException($"run {runId} is {row.Status.ToString().ToLowerInvariant()}; only interrupted, cancelled or failed runs resume");
        Execute(connection, "UPDATE runs SET " + OwnedBy + " WHERE id = $id", t, [("$id", runId), .. Me()]);
    });

    /// <summary>Marks Interrupted every Queued or Running run whose owner is gone; returns them.</summary>
    public IReadOnlyList<long> ReclaimAbandoned()
    {
        List<(long, StatusEvent)> reclaimed = [];
        Write(t => reclaimed = ReclaimAbandoned(t));
        foreach (var (run, status) in reclaimed) Interrupted?.Invoke(run, status);
        return reclaimed.Select(r => r.Item1).ToList();
    }

    private List<(long Run, StatusEvent Status)> ReclaimAbandoned(SqliteTransaction t)
    {
        var now = time.GetUtcNow();
        var reclaimed = new List<(long, StatusEvent)>();
        foreach (var row in OwnerRows("WHERE status IN ('Queued', 'Running') AND coalesce(owner, '') <> $me", t, ("$me", token)))
        {
            if (Live(row)) continue;
            var who = row.Owner is { } o ? $"process {o.ProcessId} on {o.Host}, last heard {Age(o.Heartbeat)} ago," : "the process running it";
            var next = row.Status == RunStatus.Queued ? "it had not started; resuming starts it"
                : row.Checkpoint is { } checkpoint ? $"resuming continues from {checkpoint}"
                : "it wrote no checkpoint, so resuming restarts it from step 1";
            var status = new StatusEvent(now, "", RunStatus.Interrupted, $"interrupted: {who} stopped without ending it; {next}");
            Insert(row.Id, status, t);
            reclaimed.Add((row.Id, status));
        }
        return reclaimed;
    }

    /// <summary>Renews this store's leases, then reclaims others' abandoned runs; a failure waits for the next renewal.</summary>
    private void Beat()
    {
        try
        {
            Write(t => Execute(connection, "UPDATE runs SET heartbeat = $now WHERE owner = $me", t,
                ("$now", Time(time.GetUtcNow())), ("$me", token)));
            ReclaimAbandoned();
        }
        catch (Exception e) when (e is RunStoreException or ObjectDisposedException or InvalidOperationException)
        {
            // A busy or full disk, or the store closing: the lease has lease / 6 to spare before the next try.
        }
    }

    private const string OwnedBy = "owner = $me, owner_host = $host, owner_pid = $pid, owner_started = $started, heartbeat = $now";

    private (string, object?)[] Me() =>
        [("$me", token), ("$host", Host), ("$pid", Environment.ProcessId), ("$started", Time(ProcessStarted)), ("$now", Time(time.GetUtcNow()))];

    /// <summary>Whether the row's owner holds it still: its lease renewed within the lease time, by a process that (on this host) still runs.</summary>
    private bool Live(OwnerRow row) =>
        row.Owner is { } owner && time.GetUtcNow() - owner.Heartbeat <= lease && (owner.Host != Host || Alive(owner.ProcessId, row.OwnerStarted));

    /// <summary>Whether process <paramref name="pid"/> of this host still runs, the same one that started at <paramref name="started"/>.</summary>
    private static bool Alive(int pid, DateTimeOffset? started)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return started is not { } at || Math.Abs((process.StartTime.ToUniversalTime() - at).TotalSeconds) < 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private string Age(DateTimeOffset heartbeat) => $"{Math.Max(0, (time.GetUtcNow() - heartbeat).TotalSeconds):F0} s";

    private sealed record OwnerRow(long Id, RunStatus Status, string? Token, RunOwner? Owner, DateTimeOffset? OwnerStarted, string? Checkpoint);

    private List<OwnerRow> OwnerRows(string where, SqliteTransaction t, params (string, object?)[] parameters)
    {
        using var command = Command(connection,
            $"SELECT id, status, owner, owner_host, owner_pid, owner_started, heartbeat, checkpoint FROM runs {where}", t, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<OwnerRow>();
        while (reader.Read())
        {
            var r = new Row(reader);
            rows.Add(new OwnerRow(r.Long("id"), Enum.Parse<RunStatus>(r.Text("status")), r.OptionalText("owner"), r.Owner(),
                r.OptionalTime("owner_started"), r.OptionalText("checkpoint")));
        }
        return rows;
    }

    // ---- writing ---------------------------------------------------------------

    /// <summary>
    /// Adds a Queued run of <paramref name="spec"/>, held by this store, whose files live in <paramref name="folder"/> (or
    /// folder-2, folder-3, … when another run or an earlier one's leftovers have it); returns its id.
    /// </summary>
    public long CreateRun(RunSpec spec, string folder, DateTimeOffset? created = null)
    {
        long id = 0;
        var wanted = Path.GetFullPath(folder);
        Write(t =>
        {
            // Runs of one name created in the same millisecond (concurrent submissions) would otherwise share their
            // checkpoints; the transaction holds the store's write lock, so no other process picks the same one meanwhile.
            var unique = wanted;
            for (var n = 2; Directory.Exists(unique) || Scalar(connection, "SELECT 1 FROM runs WHERE folder = $folder", t, ("$folder", unique)) is not null; n++)
                unique = $"{wanted}-{n}";
            id = Convert.ToInt64(Scalar(connection,
                """
                INSERT INTO runs (name, spec, status, created, device, folder, owner, owner_host, owner_pid, owner_started, heartbeat)
                VALUES ($name, $spec, $status, $created, $device, $folder, $me, $host, $pid, $started, $now);
                SELECT last_insert_rowid();
                """, t,
                [("$name", spec.Name), ("$spec", spec.ToJson()), ("$status", nameof(RunStatus.Queued)),
                ("$created", Time(created ?? DateTimeOffset.UtcNow)), ("$device", spec.Device.ToString()), ("$folder", unique), .. Me()]),
                CultureInfo.InvariantCulture);
        });
        return id;
    }

    /// <summary>Records an experiment's spec (JSON) under its name, replacing the one it had; its runs join it by name.</summary>
    public void SaveExperiment(string name, string specJson, DateTimeOffset? created = null) => Write(t => Execute(connection,
        """
        INSERT INTO experiments (name, spec, created) VALUES ($name, $spec, $created)
        ON CONFLICT (name) DO UPDATE SET spec = excluded.spec
        """, t, ("$name", name), ("$spec", specJson), ("$created", Time(created ?? DateTimeOffset.UtcNow))));

    public void Append(long runId, RunEvent runEvent) => Append(runId, [runEvent]);

    /// <summary>Stores the events in one transaction (the trainer hands steps over in batches).</summary>
    public void Append(long runId, IEnumerable<RunEvent> events) => Write(t =>
    {
        foreach (var e in events) Insert(runId, e, t);
    });

    private void Insert(long run, RunEvent runEvent, SqliteTransaction t)
    {
        var time = Time(runEvent.Time);
        switch (runEvent)
        {
            case StepEvent s:
                Execute(connection,
                    """
                    INSERT OR REPLACE INTO steps (run, stage, step, total_steps, time, loss, lr, grad_norm, tokens_per_second, tokens,
                        memory_bytes, eta_seconds, skipped_steps)
                    VALUES ($run, $stage, $step, $total, $time, $loss, $lr, $grad, $tps, $tokens, $memory, $eta, $skipped)
                    """, t,
                    ("$run", run), ("$stage", s.Stage), ("$step", s.Step), ("$total", s.TotalSteps), ("$time", time), ("$loss", s.Loss),
                    ("$lr", s.LearningRate), ("$grad", s.GradNorm), ("$tps", s.TokensPerSecond), ("$tokens", s.Tokens),
                    ("$memory", s.MemoryBytes), ("$eta", s.Eta.TotalSeconds), ("$skipped", s.SkippedSteps));
                break;
            case EvalEvent e:
                Execute(connection,
                    """
                    INSERT INTO evals (run, stage, time, benchmark, context_length, depth, metric, value, samples)
                    VALUES ($run, $stage, $time, $benchmark, $length, $depth, $metric, $value, $samples)
                    ON CONFLICT (run, stage, benchmark, context_length, coalesce(depth, -1), metric)
                    DO UPDATE SET time = excluded.time, value = excluded.value, samples = excluded.samples
                    """, t,
                    ("$run", run), ("$stage", e.Stage), ("$time", time), ("$benchmark", e.Benchmark), ("$length", e.ContextLength),
                    ("$depth", e.Depth), ("$metric", e.Metric), ("$value", e.Value), ("$samples", e.Samples));
                break;
            case LogEvent l:
                Execute(connection, "INSERT INTO logs (run, stage, time, level, message) VALUES ($run, $stage, $time, $level, $message)", t,
                    ("$run", run), ("$stage", l.Stage), ("$time", time), ("$level", l.Level.ToString()), ("$message", l.Message));
                break;
            case StageEvent g:
                Execute(connection, g.Phase == StagePhase.Started
                        ? "INSERT OR REPLACE INTO stages (run, stage, idx, count, started) VALUES ($run, $stage, $idx, $count, $time)"
                        : "UPDATE stages SET ended = $time WHERE run = $run AND stage = $stage", t,
                    ("$run", run), ("$stage", g.Stage), ("$idx", g.Index), ("$count", g.Count), ("$time", time));
                break;
            case SearchEvent g:
                Execute(connection,
                    """
                    INSERT OR REPLACE INTO searches
                    VALUES ($run, $stage, $phase, $factor, $generation, $generations, $time, $evaluated, $best, $unscaled, $factors)
                    """, t,
                    ("$run", run), ("$stage", g.Stage), ("$phase", g.Phase.ToString()), ("$factor", g.Factor), ("$generation", g.Generation),
                    ("$generations", g.Generations), ("$time", time), ("$evaluated", g.Evaluated), ("$best", g.BestPerplexity),
                    ("$unscaled", g.InitialUnscaledTokens),
                    ("$factors", JsonSerializer.Serialize(g.Factors.ToArray(), FactorsJsonContext.Default.DoubleArray)));
                break;
            case CheckpointEvent c:
                Execute(connection, "UPDATE runs SET checkpoint = $path WHERE id = $run", t, ("$run", run), ("$path", c.Path));
                break;
            case StatusEvent s:
                Execute(connection,
                    """
                    UPDATE runs SET status = $status, error = $error,
                        started = CASE WHEN $status = 'Running' THEN coalesce(started, $time) ELSE started END,
                        ended = CASE WHEN $status IN ('Running', 'Queued') THEN NULL ELSE $time END,
                        owner = CASE WHEN $status IN ('Running', 'Queued') THEN owner END,
                        heartbeat = CASE WHEN $status IN ('Running', 'Queued') THEN heartbeat END
                    WHERE id = $run
                    """, t,
                    ("$run", run), ("$status", s.Status.ToString()), ("$error", s.Error), ("$time", time));
                break;
            default:
                throw new ArgumentException($"the store does not know {runEvent.GetType().Name}", nameof(runEvent));
        }
    }

    /// <summary>
    /// Removes the run, its series and its folder (the folder first: a failure leaves the record to retry with); refused
    /// (<see cref="RunOwnedException"/>) while another live process holds the run, or while it is queued or running here.
    /// </summary>
    public void Delete(long runId)
    {
        ReclaimAbandoned();
        if (GetRun(runId) is not { } run) return;
        Write(t =>
        {
            var row = OwnerRows("WHERE id = $id", t, ("$id", runId)).Single();
            if (row is { Owner: { } owner } && row.Token != token && Live(row))
                throw new RunOwnedException($"run {runId} is {row.Status.ToString().ToLowerInvariant()} in process {owner.ProcessId} on {owner.Host}; cancel it there before deleting it");
            // This process's own queued or running run: its trainer would go on writing into a folder that is gone.
            if (row.Status is RunStatus.Queued or RunStatus.Running)
                throw new RunOwnedException($"run {runId} is {row.Status.ToString().ToLowerInvariant()} here; cancel it before deleting it");
        });
        if (Directory.Exists(run.Folder)) Directory.Delete(run.Folder, recursive: true);
        Write(t => Execute(connection, "DELETE FROM runs WHERE id = $run", t, ("$run", runId)));
    }

    // ---- reading ---------------------------------------------------------------

    public RunRecord? GetRun(long runId) => Runs("WHERE id = $id", ("$id", runId)).SingleOrDefault();

    /// <summary>Runs matching <paramref name="filter"/>, newest first.</summary>
    public IReadOnlyList<RunRecord> ListRuns(RunFilter? filter = null)
    {
        filter ??= new RunFilter();
        return Runs(
            """
            WHERE ($status IS NULL OR status = $status) AND ($name IS NULL OR instr(lower(name), lower($name)) > 0)
              AND ($after IS NULL OR created >= $after) AND ($experiment IS NULL OR json_extract(spec, '$.experiment.name') = $experiment)
            ORDER BY created DESC, id DESC
            """,
            ("$status", filter.Status?.ToString()), ("$name", filter.NameContains),
            ("$after", filter.CreatedAfter is { } after ? Time(after) : null), ("$experiment", filter.Experiment));
    }

    /// <summary>Every experiment in the store with its run counts, newest first.</summary>
    public IReadOnlyList<ExperimentSummary> Experiments() => Read(
        """
        SELECT e.name AS name, count(r.id) AS runs, coalesce(sum(r.status = 'Completed'), 0) AS completed, e.created AS created
        FROM experiments e LEFT JOIN runs r ON json_extract(r.spec, '$.experiment.name') = e.name
        GROUP BY e.name ORDER BY e.created DESC, e.name
        """,
        r => new ExperimentSummary(r.Text("name"), (int)r.Long("runs"), (int)r.Long("completed"), r.Time("created")));

    /// <summary>The experiment's spec as it was last run (JSON), null when the store has no such experiment.</summary>
    public string? ExperimentSpec(string name) =>
        Read("SELECT spec FROM experiments WHERE name = $name", r => r.Text("spec"), ("$name", name)).SingleOrDefault();

    private List<RunRecord> Runs(string where, params (string, object?)[] parameters) => Read(
        $"SELECT id, name, spec, status, created, started, ended, device, error, folder, checkpoint, owner_host, owner_pid, heartbeat FROM runs {where}",
        r => new RunRecord(r.Long("id"), r.Text("name"), RunSpec.Parse(r.Text("spec"), $"{FilePath}: runs[{r.Long("id")}].spec"),
            Enum.Parse<RunStatus>(r.Text("status")), r.Time("created"), r.OptionalTime("started"), r.OptionalTime("ended"),
            r.Text("device"), r.OptionalText("error"), r.Text("folder"), r.OptionalText("checkpoint"), r.Owner()),
        parameters);


    /// <summary>
    /// The run's steps in order. With <paramref name="maxPoints"/>, a chart's worth: every k-th step with the
    /// last kept, k = ⌈n / maxPoints⌉.
    /// </summary>
    public IReadOnlyList<StepEvent> Steps(long runId, int? maxPoints = null)
    {
        var steps = Read(
            """
            SELECT s.time, s.stage, step, total_steps, loss, lr, grad_norm, tokens_per_second, tokens, memory_bytes, eta_seconds, skipped_steps
            FROM steps s LEFT JOIN stages g ON g.run = s.run AND g.stage = s.stage
            WHERE s.run = $run ORDER BY coalesce(g.idx, 0), s.time, step
            """,
            r => new StepEvent(r.Time("time"), r.Text("stage"), r.Long("step"), r.Long("total_steps"), r.NumberOrNaN("loss"), r.Number("lr"),
                r.NumberOrNaN("grad_norm"), r.Number("tokens_per_second"), r.Long("tokens"), r.Long("memory_bytes"),
                TimeSpan.FromSeconds(r.Number("eta_seconds")), (int)r.Long("skipped_steps")),
            ("$run", runId));
        if (maxPoints is not { } max || steps.Count <= max) return steps;
        if (max < 1) throw new ArgumentOutOfRangeException(nameof(maxPoints), maxPoints, "must be ≥ 1");
        var stride = (steps.Count + max - 1) / max;
        var kept = steps.Where((_, i) => i % stride == 0).ToList();
        if (kept[^1] != steps[^1]) kept[^1] = steps[^1];
        return kept;
    }

    public IReadOnlyList<EvalEvent> Evals(long runId) => Read(
        "SELECT time, stage, benchmark, context_length, depth, metric, value, samples FROM evals WHERE run = $run ORDER BY rowid",
        r => new EvalEvent(r.Time("time"), r.Text("stage"), r.Text("benchmark"), (int)r.Long("context_length"), r.OptionalNumber("depth"),
            r.Text("metric"), r.NumberOrNaN("value"), (int)r.Long("samples")),
        ("$run", runId));

    /// <summary>The search stages' generations, in stage order and then as they were searched.</summary>
    public IReadOnlyList<SearchEvent> Searches(long runId) => Read(
        """
        SELECT s.time, s.stage, phase, factor, generation, generations, evaluated, best_perplexity, initial_unscaled_tokens, factors
        FROM searches s LEFT JOIN stages g ON g.run = s.run AND g.stage = s.stage
        WHERE s.run = $run ORDER BY coalesce(g.idx, 0), s.time, generation
        """,
        r => new SearchEvent(r.Time("time"), r.Text("stage"), Enum.Parse<RopeSearchPhase>(r.Text("phase")), r.Number("factor"),
            (int)r.Long("generation"), (int)r.Long("generations"), (int)r.Long("evaluated"), r.Number("best_perplexity"),
            (int)r.Long("initial_unscaled_tokens"), JsonSerializer.Deserialize(r.Text("factors"), FactorsJsonContext.Default.DoubleArray)!),
        ("$run", runId));

    /// <summary>
    /// The run's stage boundaries as the events that wrote them, in stage order: each stage's Started, then its
    /// Completed when it ended (a page opened mid-run rebuilds the stage timeline from these).
    /// </summary>
    public IReadOnlyList<StageEvent> Stages(long runId) => Read(
            "SELECT stage, idx, count, started, ended FROM stages WHERE run = $run ORDER BY idx",
            r => (Stage: r.Text("stage"), Index: (int)r.Long("idx"), Count: (int)r.Long("count"), Started: r.OptionalTime("started"), Ended: r.OptionalTime("ended")),
            ("$run", runId))
        .SelectMany(s => new[] { (s.Started, StagePhase.Started), (s.Ended, StagePhase.Completed) }
            .Where(p => p.Item1 is not null)
            .Select(p => new StageEvent(p.Item1!.Value, s.Stage, p.Item2, s.Index, s.Count)))
        .ToList();

    /// <summary>The last <paramref name="count"/> log lines, oldest first.</summary>
    public IReadOnlyList<LogEvent> LogTail(long runId, int count = 100)
    {
        var lines = Read("SELECT time, stage, level, message FROM logs WHERE run = $run ORDER BY id DESC LIMIT $count",
            r => new LogEvent(r.Time("time"), r.Text("stage"), Enum.Parse<RunLogLevel>(r.Text("level")), r.Text("message")),
            ("$run", runId), ("$count", count));
        lines.Reverse();
        return lines;
    }

    /// <summary>Closes the store; runs it still holds Queued or Running (a queue stopped before they ran) become Interrupted.</summary>
    public void Dispose()
    {
        heartbeat.Dispose();
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            try
            {
                Write(t =>
                {
                    var now = time.GetUtcNow();
                    foreach (var row in OwnerRows("WHERE owner = $me AND status IN ('Queued', 'Running')", t, ("$me", token)))
                        Insert(row.Id, new StatusEvent(now, "", RunStatus.Interrupted, row.Checkpoint is { } checkpoint
                            ? $"interrupted: its process closed the run store without ending it; resuming continues from {checkpoint}"
                            : "interrupted: its process closed the run store without ending it; it wrote no checkpoint, so resuming restarts it from step 1"), t);
                });
            }
            catch (RunStoreException)
            {
                // A full or read-only disk: the leases then expire on their own.
            }
            connection.Dispose();
        }
    }

    // ---- SQL helpers -------------------------------------------------------------

    private void Write(Action<SqliteTransaction> work)
    {
        lock (gate)
        {
            try
            {
                using var transaction = connection.BeginTransaction();
                work(transaction);
                transaction.Commit();
            }
            catch (SqliteException e)
            {
                throw Failure(FilePath, "cannot write to the run store", e);
            }
        }
    }

    /// <summary>
    /// What went wrong with the store's file, in words a researcher can act on: a full disk, a read-only file, folder
    /// or disk, a file that is not a store, a lock held too long. SQLite commits whole transactions, so a failed write
    /// leaves what the store held before as it was.
    /// </summary>
    private static RunStoreException Failure(string file, string doing, SqliteException e)
    {
        const string intact = "what the store held before is intact (SQLite commits whole transactions only)";
        var folder = Path.GetDirectoryName(file)!;
        var why = e.SqliteErrorCode switch
        {
            SQLitePCL.raw.SQLITE_CORRUPT or SQLitePCL.raw.SQLITE_NOTADB => $"it is not a run store (not an SQLite database, or a damaged one: {e.Message})",
            SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED => $"another process has held it locked for more than 5 s; {intact}",
            SQLitePCL.raw.SQLITE_FULL => $"{Full(folder)}; {intact}",
            SQLitePCL.raw.SQLITE_READONLY => $"{ReadOnly(folder)}; {intact}",
            _ when FreeBytes(folder) < 1 << 20 => $"{Full(folder)}; {intact}",
            _ when !Writable(folder) => $"{ReadOnly(folder)}; {intact}",
            _ => $"{e.Message}; {intact}",
        };
        return new RunStoreException($"{file}: {doing}: {why}", e);
    }

    private static string Full(string folder) => $"the disk holding {folder} is full ({FreeBytes(folder):N0} bytes free); free some space and try again";

    private static string ReadOnly(string folder) =>
        $"it is read-only here (the file, {folder} or its disk cannot be written); make it writable, or copy the data directory somewhere that is";

    private static long FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    private static bool Writable(string folder)
    {
        try
        {
            using var probe = new FileStream(Path.Combine(folder, $".write-probe-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private List<T> Read<T>(string sql, Func<Row, T> row, params (string, object?)[] parameters)
    {
        lock (gate)
        {
            using var command = Command(connection, sql, null, parameters);
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read()) rows.Add(row(new Row(reader)));
            return rows;
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction, (string, object?)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        // SQLite has no NaN (Microsoft.Data.Sqlite refuses to bind one): a skipped step's NaN loss is stored as NULL.
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value is null or double.NaN ? DBNull.Value : value);
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string, object?)[] parameters)
    {
        using var command = Command(connection, sql, transaction, parameters);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string, object?)[] parameters)
    {
        using var command = Command(connection, sql, transaction, parameters);
        return command.ExecuteScalar();
    }

    /// <summary>Round-trip ISO 8601 in UTC: sorts as text, so date filters compare strings.</summary>
    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>The current row of a query, its columns read by name.</summary>
    private readonly struct Row(SqliteDataReader reader)
    {
        public string Text(string column) => reader.GetString(reader.GetOrdinal(column));

        public string? OptionalText(string column) => Null(column) ? null : Text(column);

        public long Long(string column) => reader.GetInt64(reader.GetOrdinal(column));

        public double Number(string column) => reader.GetDouble(reader.GetOrdinal(column));

        public double? OptionalNumber(string column) => Null(column) ? null : Number(column);

        /// <summary>A number that may be NaN, which SQLite stores as NULL.</summary>
        public double NumberOrNaN(string column) => OptionalNumber(column) ?? double.NaN;

        public DateTimeOffset Time(string column) =>
            DateTimeOffset.Parse(Text(column), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

        public DateTimeOffset? OptionalTime(string column) => Null(column) ? null : Time(column);

        public RunOwner? Owner() => Null("owner_host") || Null("heartbeat") ? null
            : new RunOwner(Text("owner_host"), (int)Long("owner_pid"), Time("heartbeat"));

        private bool Null(string column) => reader.IsDBNull(reader.GetOrdinal(column));
    }
}

/// <summary>A search generation's factors as the searches table keeps them: a JSON list of numbers.</summary>
[JsonSerializable(typeof(double[]))]
internal sealed partial class FactorsJsonContext : JsonSerializerContext;
