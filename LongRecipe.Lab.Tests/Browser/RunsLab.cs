using LongRecipe.Engine.Runs;

namespace LongRecipe.Lab.Tests.Browser;

/// <summary>The Lab with two real tiny runs (the recipe, then PoSE) already executed into its data directory's run store.</summary>
public sealed class RunsLab : LabProcess
{
    public IReadOnlyList<long> RunIds { get; private set; } = [];

    public Workspace Workspace => new(Workspace.LocateRoot(), DataDirectory);

    // LabProcess prepares synchronously; the runs execute on the thread pool so no test synchronisation context is waited on.
    protected override void Prepare(string dataDirectory) =>
        RunIds = Task.Run(() => TinyRuns.ExecuteAsync(Workspace, [TinyRuns.LongRecipe, TinyRuns.Pose], CancellationToken.None))
            .GetAwaiter().GetResult();
}
