using System.Globalization;
using System.Text.Json.Nodes;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Cli;

/// <summary>
/// run: runs a spec (a spec.json file or a preset name: longrecipe, pose, rpes, flt, pi, ntk, yarn, longrope,
/// longrope-ft, longrope-progressive) in the Lab's run store (--data, default the Lab's data/), or continues one
/// (--resume --run ID). Progress on stderr (stage, step, loss, ETA; a search's generation, best perplexity and n̂;
/// eval cells as they come), Ctrl-C finishes the step, checkpoints and stops; one JSON line on stdout with the run's
/// id, status, folder and evaluation. Exit code 0 only when completed.
/// --print writes the spec's JSON instead of running it (a preset as a starting point for your own).
/// </summary>
public static class RunVerb
{
    public static async Task<int> RunAsync(Arguments args)
    {
        if (args.Flag("print"))
        {
            var (printed, problems) = Spec(args);
            if (problems.Count > 0) throw new RunSpecException(args.Positional, problems);
            Console.WriteLine(printed.ToJson());
            return 0;
        }
        var workspace = args.Workspace;
        var resume = args.Flag("resume");
        (RunSpec? spec, IReadOnlyList<SpecProblem> found) = resume ? (null, []) : Spec(args);
        var resumed = resume ? RunToResume(args) : 0;
        // The spec's own problems and what the machine lacks for it (a corpus, the model, memory), named in the file the
        // user wrote, before the data folder and its store are made: a refused spec leaves nothing behind.
        if (spec?.LaunchProblems(workspace.RealCorpus, workspace.BuiltinModel, found) is { Count: > 0 } refused)
            throw new RunSpecException(args.Positional is { } file && File.Exists(file) ? file : null, refused);
        Directory.CreateDirectory(workspace.DataDirectory);
        using var store = RunStore.Open(workspace.StoreFile);
        var launcher = new RunLauncher(store, workspace.RunsFolder, workspace.BuiltinModel, workspace.RealCorpus);
        var runId = spec is null ? resumed : launcher.Create(spec, found);

        using var cancel = new Interruption();
        using var bar = new ProgressBar("starting");
        var status = await launcher.ExecuteAsync(runId, resume, e =>
        {
            Report(bar, e);
            return ValueTask.CompletedTask;
        }, cancel.Token);

        var record = store.GetRun(runId)!;
        var evals = new JsonArray([.. store.Evals(runId).Select(e => JsonNode.Parse(EventJson.Serialize(e)))]);
        // The final model only once it is saved; a run that stopped says how to go on.
        var model = Path.Combine(record.Folder, RecipeRunner.ModelFolder);
        var resumeWith = status == RunStatus.Completed ? null
            : $"./longrecipe run --resume --run {runId}{(args.Optional("data") is { } data ? $" --data {data}" : "")}";
        if (resumeWith is not null) Console.Error.WriteLine($"\nrun {runId} ended {status.ToString().ToLowerInvariant()}; continue it from its last checkpoint with: {resumeWith}");
        Console.WriteLine(new JsonObject
        {
            ["run"] = runId, ["name"] = record.Name, ["status"] = status.ToString().ToLowerInvariant(), ["error"] = record.Error,
            ["folder"] = record.Folder, ["model"] = Directory.Exists(model) ? model : null, ["resume"] = resumeWith,
            ["seconds"] = record.Started is { } started && record.Ended is { } ended ? Math.Round((ended - started).TotalSeconds, 1) : null,
            ["evals"] = evals,
        }.ToJsonString());
        return status == RunStatus.Completed ? 0 : 1;
    }

    /// <summary>--run's id for --resume; a spec beside it is refused, since a run continues with the spec it began with.</summary>
    private static long RunToResume(Arguments args)
    {
        if (args.Positional is { } spec) throw new ArgumentException($"--resume continues a run with its own spec; leave out '{spec}'");
        var text = args.Optional("run") ?? throw new ArgumentException("--resume needs --run <id>, the run to continue");
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new ArgumentException($"--run must be a run id, a positive whole number, not '{text}'");
    }

    /// <summary>
    /// A preset by name, or a spec file, with its problems (a file's shape and rules) for the launcher to name in one
    /// answer with what the machine lacks.
    /// </summary>
    private static (RunSpec Spec, IReadOnlyList<SpecProblem> Problems) Spec(Arguments args)
    {
        var name = args.Positional ?? throw new ArgumentException($"give a spec file or a preset ({string.Join(", ", RunPresets.ByName.Keys)})");
        if (RunPresets.ByName.TryGetValue(name, out var preset))
        {
            var spec = preset();
            return (spec, spec.Problems());
        }
        if (Directory.Exists(name)) throw new ArgumentException($"{name} is a folder; give a spec file (.json) or a preset ({string.Join(", ", RunPresets.ByName.Keys)})");
        return File.Exists(name) ? RunSpec.LoadWithProblems(name)
            : throw new ArgumentException($"{name}: no such spec file, and not a preset ({string.Join(", ", RunPresets.ByName.Keys)})");
    }

    private static void Report(ProgressBar bar, RunEvent e)
    {
        switch (e)
        {
            case StepEvent s:
                bar.Report(s, s.Stage);
                break;
            case SearchEvent g:
                bar.Report((double)g.Generation / Math.Max(1, g.Generations),
                    $"{g.Stage} {g.Phase.ToString().ToLowerInvariant()} {g.Factor:g}x  generation {g.Generation}/{g.Generations}  best ppl {g.BestPerplexity:F3}  n̂ {g.InitialUnscaledTokens}");
                break;
            case StageEvent { Phase: StagePhase.Started } st:
                bar.Report(0, $"{st.Stage} ({st.Index + 1}/{st.Count})");
                break;
            case EvalEvent ev when ev.Metric != Metrics.NeedleLogProb:
                bar.Report(1, $"{ev.Stage} {ev.Benchmark} @{ev.ContextLength}{(ev.Depth is { } d ? $" depth {d:F0}%" : "")}: {ev.Metric} {ev.Value:G4}");
                break;
            case LogEvent { Level: >= RunLogLevel.Information } log:
                Console.Error.WriteLine($"\n[{log.Stage}] {log.Message}");
                break;
        }
    }
}
