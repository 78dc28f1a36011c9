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
    string Device, string? Error, string Folder, string? Checkpoint);

/// <summary>
/// Which runs to list: any status when null, names containing <paramref name="NameContains"/>, created at or after
/// <paramref name="CreatedAfter"/>, of the experiment named <paramref name="Experiment"/> (its spec's experiment.name).
/// </summary>
public sealed record RunFilter(RunStatus? Status = null, string? NameContains = null, DateTimeOffset? CreatedAfter = null, string? Experiment = null);

/// <summary>An experiment as the store sees it: its name, how many runs it has and how many completed, and when its first run was created.</summary>
public sealed record ExperimentSummary(string Name, int Runs, int Completed, DateTimeOffset Created);

/// <summary>The database file cannot be opened as a run store; the message names the file.</summary>
public sealed class RunStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs, their step series, eval cells and logs in one SQLite file (WAL, so the Lab reads while a run writes).
/// One connection serves every call under a lock, which makes the API thread-safe and keeps SQLite to one writer.
/// The schema carries its version in PRAGMA user_version and is brought forward by ordered migrations on open;
/// runs left Running by a process that died are marked Interrupted then, so they can be resumed. Every statement
/// names its columns and every row is read by column name, so a migration that adds columns changes nothing here.
/// Exports (CSV, JSON) are <see cref="RunExports"/>'.
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
    ];

    public static int SchemaVersion => Migrations.Length;

    private readonly SqliteConnection connection;
    private readonly Lock gate = new();

    public string FilePath { get; }

    private RunStore(string path, SqliteConnection connection)
    {
        FilePath = path;
        this.connection = connection;
    }

    /// <summary>Opens (creating if absent) the store at <paramref name="path"/>, migrating it and marking dead runs Interrupted.</summary>
    public static RunStore Open(string path)
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
            var store = new RunStore(full, connection);
            store.MarkInterrupted();
            return store;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new RunStoreException($"{full}: not a readable run store ({e.Message})", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void MarkInterrupted() =>
        Write(t => Execute(connection, "UPDATE runs SET status = $interrupted, ended = $now WHERE status = $running", t,
            ("$interrupted", nameof(RunStatus.Interrupted)), ("$running", nameof(RunStatus.Running)), ("$now", Time(DateTimeOffset.UtcNow))));

    // ---- writing ---------------------------------------------------------------

    /// <summary>Adds a Queued run of <paramref name="spec"/> whose files live in <paramref name="folder"/>; returns its id.</summary>
    public long CreateRun(RunSpec spec, string folder, DateTimeOffset? created = null)
    {
        long id = 0;
        Write(t => id = Convert.ToInt64(Scalar(connection,
            """
            INSERT INTO runs (name, spec, status, created, device, folder) VALUES ($name, $spec, $status, $created, $device, $folder);
            SELECT last_insert_rowid();
            """, t,
            ("$name", spec.Name), ("$spec", spec.ToJson()), ("$status", nameof(RunStatus.Queued)),
            ("$created", Time(created ?? DateTimeOffset.UtcNow)), ("$device", spec.Device.ToString()), ("$folder", Path.GetFullPath(folder))),
            CultureInfo.InvariantCulture));
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
                        ended = CASE WHEN $status IN ('Running', 'Queued') THEN NULL ELSE $time END
                    WHERE id = $run
                    """, t,
                    ("$run", run), ("$status", s.Status.ToString()), ("$error", s.Error), ("$time", time));
                break;
            default:
                throw new ArgumentException($"the store does not know {runEvent.GetType().Name}", nameof(runEvent));
        }
    }

    /// <summary>Removes the run, its series and its folder (the folder first: a failure leaves the record to retry with).</summary>
    public void Delete(long runId)
    {
        if (GetRun(runId) is not { } run) return;
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
        $"SELECT id, name, spec, status, created, started, ended, device, error, folder, checkpoint FROM runs {where}",
        r => new RunRecord(r.Long("id"), r.Text("name"), RunSpec.Parse(r.Text("spec"), $"{FilePath}: runs[{r.Long("id")}].spec"),
            Enum.Parse<RunStatus>(r.Text("status")), r.Time("created"), r.OptionalTime("started"), r.OptionalTime("ended"),
            r.Text("device"), r.OptionalText("error"), r.Text("folder"), r.OptionalText("checkpoint")),
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
            r => new StepEvent(r.Time("time"), r.Text("stage"), r.Long("step"), r.Long("total_steps"), r.Number("loss"), r.Number("lr"),
                r.Number("grad_norm"), r.Number("tokens_per_second"), r.Long("tokens"), r.Long("memory_bytes"),
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
            r.Text("metric"), r.Number("value"), (int)r.Long("samples")),
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

    public void Dispose()
    {
        lock (gate) connection.Dispose();
    }

    // ---- SQL helpers -------------------------------------------------------------

    private void Write(Action<SqliteTransaction> work)
    {
        lock (gate)
        {
            using var transaction = connection.BeginTransaction();
            work(transaction);
            transaction.Commit();
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
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
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

        public DateTimeOffset Time(string column) =>
            DateTimeOffset.Parse(Text(column), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

        public DateTimeOffset? OptionalTime(string column) => Null(column) ? null : Time(column);

        private bool Null(string column) => reader.IsDBNull(reader.GetOrdinal(column));
    }
}

/// <summary>A search generation's factors as the searches table keeps them: a JSON list of numbers.</summary>
[JsonSerializable(typeof(double[]))]
internal sealed partial class FactorsJsonContext : JsonSerializerContext;
