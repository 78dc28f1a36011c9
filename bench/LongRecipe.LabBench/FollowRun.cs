using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Torch;

namespace LongRecipe.LabBench;

/// <summary>
/// `run`: queues a run in a running Lab through its HTTP surface and follows it through its SignalR hub to its end,
/// printing every event as one line of the event JSON (stdout) and a line per stage and every tenth step (stderr).
/// Exit code 0 when the run completes, 1 when it fails, is cancelled or the time runs out. The GPU route's check that
/// the Lab itself trains on CUDA (scripts/gpu/run.sh lab).
/// </summary>
public static class FollowRun
{
    public static async Task<int> RunAsync(Uri lab, RunSpec spec, TimeSpan timeout, CancellationToken cancel)
    {
        await using var client = new LabClient(lab);
        await client.WaitUntilUpAsync(TimeSpan.FromMinutes(2), cancel);
        var runId = await client.QueueAsync(spec, cancel);
        Console.Error.WriteLine($"queued run {runId} ({spec.Name}) on {spec.Device}");
        var ended = new TaskCompletionSource<RunStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        var steps = 0;
        // The hub group is the run's id, known once it is queued: events before the join are in the store, the end is never missed.
        await client.FollowAsync(runId, e =>
        {
            Console.WriteLine(EventJson.Serialize(e));
            switch (e)
            {
                case StepEvent step when ++steps % 10 == 1:
                    Console.Error.WriteLine($"{step.Stage} step {step.Step}/{step.TotalSteps}: loss {step.Loss:F4}, {step.TokensPerSecond:F0} tokens/s, {step.MemoryBytes / 1048576.0:F0} MiB");
                    break;
                case StageEvent stage:
                    Console.Error.WriteLine($"{stage.Stage} {stage.Phase.ToString().ToLowerInvariant()}");
                    break;
                case StatusEvent { Status: not (RunStatus.Queued or RunStatus.Running) } status:
                    ended.TrySetResult(status.Status);
                    break;
            }
        }, cancel);
        if (Enum.Parse<RunStatus>(await client.StatusAsync(runId, cancel)) is not (RunStatus.Queued or RunStatus.Running) and var already)
            ended.TrySetResult(already);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            var status = await ended.Task.WaitAsync(deadline.Token);
            Console.Error.WriteLine($"run {runId} ended {status} after {steps} steps streamed");
            return status == RunStatus.Completed && steps > 0 ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"run {runId} had not ended after {timeout} (status {await client.StatusAsync(runId, CancellationToken.None)})");
            return 1;
        }
    }

    /// <summary>The spec to run: a preset by name (e.g. longrecipe) or a spec file, on <paramref name="device"/>.</summary>
    public static RunSpec Spec(string specOrPreset, string device) =>
        (RunPresets.ByName.TryGetValue(specOrPreset, out var preset) ? preset() : RunSpec.Load(specOrPreset)) with { Device = Device.Parse(device) };
}
