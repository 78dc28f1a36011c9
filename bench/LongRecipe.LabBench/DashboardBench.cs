using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.LabBench;

/// <summary>
/// `dashboard`: the run dashboard under load. Starts the built Lab on a fresh data directory, queues a long CPU run
/// whose every step is an event (PoSE on a random model of the built-in model's tokenizer, 32 wide and 2 layers deep,
/// so that steps come fast), lets it train alone until it has <c>startPoints</c> steps (the server's baseline memory is
/// taken then), then opens <c>viewers</c> headless Chromium pages on its dashboard for <c>minutes</c>.
/// With <c>labCpus</c> and <c>viewerCpus</c> the Lab and Chromium run on cores of their own. Every second it reads the
/// newest loss point each viewer has drawn and how long the viewer has been behind: since the Lab published the step
/// after it (timed by this program's hub client), 0 when it has drawn the newest; every 30 s, the Lab's resident
/// memory. Prints the lag per viewer (median, 95th percentile, largest), the points drawn, and the memory per viewer
/// over time. With <c>profile</c>, then profiles viewer 1's main thread for that long (<see cref="BrowserProfile"/>).
/// </summary>
public static class DashboardBench
{
    public static async Task<int> RunAsync(string labDll, string chromium, int viewers, int startPoints, TimeSpan duration, string? labCpus, string? viewerCpus,
        TimeSpan profile, CancellationToken cancel)
    {
        using var lab = LabServer.Start(labDll, labCpus);
        var url = lab.Url;
        await using var client = new LabClient(url);
        await client.WaitUntilUpAsync(TimeSpan.FromMinutes(2), cancel);
        var published = new ConcurrentDictionary<double, DateTime>();
        var newest = 0.0;
        var runId = await client.QueueAsync(LongRun(SmallModel(lab.DataDirectory)), cancel);
        // The dashboard's loss x is the recipe step, which for a single stage is the step itself.
        await client.FollowAsync(runId, e =>
        {
            if (e is not StepEvent step) return;
            published[step.Step] = DateTime.UtcNow;
            newest = Math.Max(newest, step.Step);
        }, cancel);
        Console.Error.WriteLine($"run {runId} queued; training alone to {startPoints:N0} steps");
        while (newest < startPoints)
        {
            await Task.Delay(TimeSpan.FromSeconds(10), cancel);
            Console.Error.WriteLine($"{newest:N0} of {startPoints:N0} steps");
        }
        var baseline = lab.ResidentBytes();

        await using var viewing = new PageViewers(url, runId, viewerCpus is null ? chromium : Viewers.Pinned(chromium, viewerCpus));
        await viewing.OpenAsync(viewers, cancel);
        var pages = viewing.Pages;
        Console.Error.WriteLine($"{viewers} viewers on the dashboard; measuring for {duration}");

        var lags = pages.Select(_ => new List<double>()).ToList();
        var memory = new List<(TimeSpan At, long Rss, int Points)>();
        var clock = Stopwatch.StartNew();
        var nextMemory = TimeSpan.Zero;
        while (clock.Elapsed < duration)
        {
            for (var i = 0; i < pages.Count; i++)
            {
                // The newest step plotly.js has drawn: its calcdata is made when it draws, the traces' data may be a frame ahead.
                var drawn = await pages[i].EvaluateAsync<double>("() => { const drawn = document.querySelector('[data-chart=loss]').calcdata?.[0] ?? []; return drawn.length ? drawn[drawn.length - 1].x : 0; }");
                // How long the viewer has been missing a published step: since the first step after the one it drew was
                // published (steps are numbered one by one), or 0 when it has drawn the newest.
                lags[i].Add(published.TryGetValue(drawn + 1, out var missedSince) ? Math.Max(0, (DateTime.UtcNow - missedSince).TotalSeconds) : 0);
            }
            if (clock.Elapsed >= nextMemory)
            {
                // --viewers 0 is the control: the Lab's memory with the run alone over the same minutes.
                var points = pages.Count == 0 ? 0 : await pages[0].EvaluateAsync<int>("() => document.querySelector('[data-chart=loss]').calcdata?.[0]?.length ?? 0");
                memory.Add((clock.Elapsed, lab.ResidentBytes(), points));
                nextMemory += TimeSpan.FromSeconds(30);
            }
            await Task.Delay(1000, cancel);
        }

        // After the lags, so that the profiler's own cost does not count in them.
        var shares = profile > TimeSpan.Zero && pages.Count > 0 ? await BrowserProfile.TakeAsync(pages[0], profile, cancel) : null;

        Console.WriteLine($"steps published: {newest:N0}; baseline memory (run, no viewer): {baseline / 1048576.0:F0} MiB");
        Console.WriteLine("| viewer | lag median (s) | lag p95 (s) | lag max (s) | samples |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        for (var i = 0; i < lags.Count; i++)
        {
            var sorted = lags[i].Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {i + 1} | {Quantile(sorted, 0.5):F2} | {Quantile(sorted, 0.95):F2} | {sorted.LastOrDefault():F2} | {sorted.Count} |"));
        }
        Console.WriteLine();
        Console.WriteLine("| minute | Lab memory (MiB) | above baseline per viewer (MiB) | loss points drawn |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var (at, rss, points) in memory)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {at.TotalMinutes:F1} | {rss / 1048576.0:F0} | {(viewers == 0 ? "—" : ((rss - baseline) / 1048576.0 / viewers).ToString("F1", CultureInfo.InvariantCulture))} | {points:N0} |"));
        if (shares is not null)
        {
            Console.WriteLine();
            BrowserProfile.Print(shares, profile);
        }
        return 0;
    }

    /// <summary>A random model of the built-in model's tokenizer and window, 32 wide and 2 layers deep, in the Lab's data directory.</summary>
    private static string SmallModel(string dataDirectory)
    {
        var builtin = Path.Combine(Workspace.LocateRoot(), "models", "builtin");
        var directory = Path.Combine(dataDirectory, "models", "dashboard-bench");
        var config = LlamaConfig.Load(Path.Combine(builtin, PretrainedModel.ConfigFile));
        using (var model = LlamaModel.Initialize(LlamaConfig.Create(ModelFamily.Llama, vocabSize: config.VocabSize, hiddenSize: 32, intermediateSize: 64,
                   layers: 2, heads: 2, kvHeads: 1, maxPositionEmbeddings: config.MaxPositionEmbeddings), seed: 7))
            PretrainedModel.Save(model, directory);
        PretrainedModel.CopyTokenizer(builtin, directory);
        return directory;
    }

    /// <summary>Many cheap steps: PoSE, 64-token sequences over a 512-token window, one per step, no retrieval samples, no evaluation.</summary>
    private static RunSpec LongRun(string model) => RunPresets.Pose() with
    {
        Name = "dashboard-bench",
        Model = model,
        NativeLength = null,
        TargetLength = 512,
        Data = new DataSpec(Documents: 4, RetrievalRatio: 0),
        Stages = [new ExtendStage(new TransformSpec(PositionScheme.Pose, 1), SequenceLength: 64, Steps: 1_000_000, MicroBatchSize: 1, LearningRate: 1e-4,
            CheckpointEvery: 1_000_000)],
        Eval = new EvalSpec(),
    };

    private static double Quantile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}
