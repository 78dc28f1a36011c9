using LongRecipe.Engine.Events;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Lab.Tests;

/// <summary>
/// Two real runs from the built-in model, shrunk to seconds on CPU: the recipe (LongRecipe positions, anneal with
/// replay, merge) and PoSE (extension only), both evaluated on needles, passkeys and perplexity at 256 and 512.
/// </summary>
public static class TinyRuns
{
    public const int Target = 512;

    private static EvalSpec Evaluation => new(
        Niah: new NeedleEvalSpec([256, Target], [0, 50, 100], NeedlesPerCell: 1),
        Passkey: new PasskeyEvalSpec([256, Target], Samples: 1),
        Perplexity: new PerplexityEvalSpec([256, Target], Samples: 1),
        ShortRetention: true);

    public static RunSpec LongRecipe => RunPresets.LongRecipe() with
    {
        Name = "tiny-longrecipe",
        TargetLength = Target,
        Data = new DataSpec(Documents: 2, Replay: DataSpec.Synthetic, Selection: new SelectionSpec(SelectionMethod.Digits, 0.6)),
        Stages =
        [
            new ExtendStage(new TransformSpec(PositionScheme.LongRecipe, 1), SequenceLength: 160, Steps: 3, MicroBatchSize: 1, LearningRate: 1e-4),
            new AnnealStage(ReplayRatio: 0.5, Steps: 2, MicroBatchSize: 1, LearningRate: 1e-5),
            new MergeStage(MergeMethod.Average),
        ],
        Eval = Evaluation,
    };

    public static RunSpec Pose => RunPresets.Pose() with
    {
        Name = "tiny-pose",
        TargetLength = Target,
        Data = new DataSpec(Documents: 2),
        Stages = [new ExtendStage(new TransformSpec(PositionScheme.Pose, 1), SequenceLength: 256, Steps: 4, MicroBatchSize: 1, LearningRate: 1e-4)],
        Eval = Evaluation,
    };

    /// <summary>Creates and executes each spec in <paramref name="workspace"/>'s store and run folders; returns the run ids in order.</summary>
    public static async Task<IReadOnlyList<long>> ExecuteAsync(Workspace workspace, IEnumerable<RunSpec> specs, CancellationToken cancel)
    {
        using var store = RunStore.Open(workspace.StoreFile);
        var launcher = new RunLauncher(store, workspace.RunsFolder, workspace.BuiltinModel);
        var ids = new List<long>();
        foreach (var spec in specs)
        {
            var id = launcher.Create(spec);
            var status = await launcher.ExecuteAsync(id, cancel: cancel);
            if (status != RunStatus.Completed)
                throw new InvalidOperationException($"tiny run {spec.Name} ended {status}: {store.GetRun(id)!.Error}");
            ids.Add(id);
        }
        return ids;
    }
}
