using System.Diagnostics;
using System.Globalization;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;

namespace LongRecipe.LabBench;

/// <summary>
/// `load`: what viewers cost the Lab and its run. Starts the built Lab pinned to <c>labCpus</c> (with as many libtorch
/// threads), queues a long training run on the built-in model, and measures the run's steps/s, the Lab's CPU time per
/// step and its memory in three stretches of <c>seconds</c>: no viewers, <c>viewers</c> viewers, no viewers again.
/// A viewer is a Chromium page on the run's dashboard (<c>page</c>, Chromium pinned to <c>viewerCpus</c> so that its
/// own drawing is not the server's) or a client of the runs hub (<c>hub</c>). Prints the three stretches, then the
/// slowdown against the mean of the two without, and the Lab's CPU and memory per viewer.
/// </summary>
public static class LoadBench
{
    public sealed record Options(string Kind, int Viewers, int Seconds, string LabCpus, string ViewerCpus, string Chromium, int SequenceLength, int MicroBatch)
    {
        public int TokensPerStep => SequenceLength * MicroBatch;
    }

    private sealed record Stretch(string Name, int Viewers, double Seconds, long Steps, double CpuSeconds, long ResidentBytes)
    {
        public double StepsPerSecond => Steps / Seconds;

        public double CpuPerStep => CpuSeconds / Math.Max(1, Steps);
    }

    public static async Task<int> RunAsync(string labDll, Options options, CancellationToken cancel)
    {
        using var lab = LabServer.Start(labDll, options.LabCpus);
        await using var client = new LabClient(lab.Url);
        await client.WaitUntilUpAsync(TimeSpan.FromMinutes(2), cancel);
        var runId = await client.QueueAsync(LongRun(options), cancel);
        long steps = 0;
        await client.FollowAsync(runId, e => { if (e is StepEvent) Interlocked.Increment(ref steps); }, cancel);
        Console.Error.WriteLine($"run {runId} queued; warming up");
        while (Interlocked.Read(ref steps) < 10) await Task.Delay(1000, cancel);

        async Task<Stretch> Measure(string name, int viewers, int seconds)
        {
            Console.Error.WriteLine($"measuring: {name}, {seconds} s");
            var (before, cpu, clock) = (Interlocked.Read(ref steps), lab.CpuSeconds(), Stopwatch.StartNew());
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancel);
            return new Stretch(name, viewers, clock.Elapsed.TotalSeconds, Interlocked.Read(ref steps) - before, lab.CpuSeconds() - cpu, lab.ResidentBytes());
        }

        // Past the first steps' JIT and allocator growth before anything counts.
        await Measure("warm-up", 0, options.Seconds / 2);
        var stretches = new List<Stretch> { await Measure("no viewers", 0, options.Seconds) };
        await using (Viewers viewers = options.Kind == "hub" ? new HubViewers(lab.Url, runId) : new PageViewers(lab.Url, runId, Viewers.Pinned(options.Chromium, options.ViewerCpus)))
        {
            await viewers.OpenAsync(options.Viewers, cancel);
            // First renders and chart set-up settle before the steady cost is measured.
            await Task.Delay(TimeSpan.FromSeconds(10), cancel);
            var heard = (viewers as HubViewers)?.Received;
            stretches.Add(await Measure($"{options.Viewers} {options.Kind} viewers", options.Viewers, options.Seconds));
            // Viewers that heard nothing would make the stretch an idle one: say what they received.
            if (viewers is HubViewers hub) Console.Error.WriteLine($"the hub viewers received {hub.Received - heard:N0} events while measured");
        }
        await Task.Delay(TimeSpan.FromSeconds(10), cancel);
        stretches.Add(await Measure("no viewers again", 0, options.Seconds));
        Print(stretches, options);
        return 0;
    }

    /// <summary>Many steps of one extend stage, checkpoints too rare to matter, no evaluation.</summary>
    private static RunSpec LongRun(Options options) => RunPresets.LongRecipe() with
    {
        Name = "load-bench",
        Data = new DataSpec(Documents: 4),
        Stages = [new ExtendStage(new TransformSpec(PositionScheme.LongRecipe, 1), SequenceLength: options.SequenceLength, Steps: 1_000_000,
            MicroBatchSize: options.MicroBatch, LearningRate: 1e-4, CheckpointEvery: 1_000_000)],
        Eval = new EvalSpec(),
    };

    private static void Print(IReadOnlyList<Stretch> stretches, Options options)
    {
        Console.WriteLine("| stretch | viewers | steps/s | tokens/s | Lab CPU per step (ms) | Lab memory (MiB) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var s in stretches)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {s.Name} | {s.Viewers} | {s.StepsPerSecond:F2} | {s.StepsPerSecond * options.TokensPerStep:F0} | {1000 * s.CpuPerStep:F1} | {s.ResidentBytes >> 20} |"));
        var (idle, watched, after) = (stretches[0], stretches[1], stretches[2]);
        var baseline = (idle.StepsPerSecond + after.StepsPerSecond) / 2;
        var idleCpu = (idle.CpuPerStep + after.CpuPerStep) / 2;
        var cpuPerViewer = (watched.CpuPerStep - idleCpu) * watched.StepsPerSecond / Math.Max(1, watched.Viewers);
        var memoryPerViewer = (watched.ResidentBytes - idle.ResidentBytes) / (double)Math.Max(1, watched.Viewers) / (1 << 20);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"slowdown with {watched.Viewers} viewers: {100 * (1 - watched.StepsPerSecond / baseline):F1}% of the steps/s without; " +
            $"Lab CPU per viewer: {1000 * cpuPerViewer:F1} ms per second; memory per viewer: {memoryPerViewer:F2} MiB"));
    }
}
