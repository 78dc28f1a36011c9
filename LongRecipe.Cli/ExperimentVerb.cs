using System.Text.Json.Nodes;
using LongRecipe.Engine.Experiments;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Cli;

/// <summary>
/// experiment: runs an experiment file (methods × seeds, the learning-rate grid on validation data first) in the
/// Lab's run store, reusing the runs it already has, then writes its report (results.json, results.md with
/// intervals and the papers' claims, SVG charts) to --out. --report-only writes the report from the store alone.
/// Progress on stderr; Ctrl-C stops the runs in flight at a checkpoint (run it again to continue).
/// </summary>
public static class ExperimentVerb
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var file = args.Positional ?? throw new ArgumentException("give an experiment file (see experiments/replication/experiment.json)");
        var (spec, found) = ExperimentSpec.LoadWithProblems(file);
        var workspace = args.Workspace;
        var output = Arguments.OutputFolder(args.Optional("out") ?? Path.Combine(workspace.DataDirectory, "experiments", spec.Name));
        // A report from a store that is not there would be all dashes: a mistyped --data, not an experiment without runs.
        if (args.Flag("report-only") && !File.Exists(workspace.StoreFile))
            throw new ArgumentException($"--report-only reads the runs in {workspace.StoreFile}, which does not exist; is --data right?");
        // Refused before the data folder and its store are made: a refused experiment leaves nothing behind.
        if (!args.Flag("report-only") && spec.LaunchProblems(workspace.RealCorpus, workspace.BuiltinModel, found) is { Count: > 0 } problems)
            throw new RunSpecException(file, problems);
        Directory.CreateDirectory(workspace.DataDirectory);
        using var store = RunStore.Open(workspace.StoreFile);

        ExperimentResults results;
        if (args.Flag("report-only"))
            results = found.Count == 0 ? ExperimentResults.Load(spec, store) : throw new RunSpecException(file, found);
        else
        {
            using var cancel = new Interruption();
            using var bar = new ProgressBar("starting");
            var runner = new ExperimentRunner(new RunLauncher(store, workspace.RunsFolder, workspace.BuiltinModel, workspace.RealCorpus));
            try
            {
                results = await runner.RunAsync(spec, found, new SynchronousProgress<ExperimentProgress>(p => Report(bar, p)), cancel.Token);
            }
            catch (RunSpecException e) when (e.File is null)
            {
                // The file's own problems and what the machine lacks for its runs, named in the file the user wrote.
                throw new RunSpecException(file, e.Problems);
            }
        }
        var files = ExperimentReport.Write(spec, results, output);
        var failed = results.Runs.Count(r => r.Status != RunStatus.Completed);
        Console.WriteLine(new JsonObject
        {
            ["experiment"] = spec.Name, ["runs"] = results.Runs.Count, ["failed"] = failed,
            ["report"] = new JsonArray([.. files.Select(f => (JsonNode)f)]),
        }.ToJsonString());
        return failed == 0 ? 0 : 1;
    }

    private static void Report(ProgressBar bar, ExperimentProgress p)
    {
        var prefix = $"[{p.Phase.ToString().ToLowerInvariant()} {p.Done}/{p.Total}] {p.Run}";
        switch (p.Event)
        {
            case null:
                bar.Report((double)p.Done / p.Total, $"{prefix} done");
                break;
            case StepEvent s:
                bar.Report((double)p.Done / p.Total, $"{prefix}: {s.Stage} {s.Step}/{s.TotalSteps} loss {s.Loss:F3}");
                break;
            case StatusEvent { Status: RunStatus.Failed } failed:
                Console.Error.WriteLine($"\n{p.Run} failed: {failed.Error}");
                break;
        }
    }
}
