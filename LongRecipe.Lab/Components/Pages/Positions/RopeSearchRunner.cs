using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.RopeSearch;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;
using LongRecipe.Lab.Components.Pages.Models;

namespace LongRecipe.Lab.Components.Pages.Positions;

/// <summary>A LongRoPE search to run: which model, on which device, with which settings.</summary>
public sealed record RopeSearchRequest(ModelEntry Model, RopeSearchSpec Spec, string Device = "cpu")
{
    public string? Problem()
    {
        if (!Model.Usable) return $"{Model.Directory}: not loadable (it needs config.json, weights and tokenizer.json).";
        if (Model.Config!.RopeScaling.Type != RopeType.Default)
            return $"{Model.Name} already uses rope_type '{Model.Config.RopeScaling.Type.Name()}'; a LongRoPE search starts from plain RoPE.";
        try
        {
            Spec.Validate();
            Engine.Torch.Device.Parse(Device);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return e.Message;
        }
        return null;
    }
}

/// <summary>Where a search stands.</summary>
public enum RopeSearchState { Running, Completed, Cancelled, Failed }

/// <summary>One report of the search, numbered: Step counts reports from 1 across stages; Stage indexes the spec's stages, then the short phase.</summary>
public sealed record RopeSearchStep(int Step, int Stage, RopeSearchProgress Progress);

/// <summary>
/// One search and everything it has reported, safe to read from any thread while it runs: a page
/// opened mid-search reads the steps so far and then follows new ones.
/// </summary>
public sealed class RopeSearchSession
{
    private readonly object gate = new();
    private readonly List<RopeSearchStep> steps = [];
    private event Action<RopeSearchStep>? Stepped;

    internal RopeSearchSession(int id, RopeSearchRequest request)
    {
        Id = id;
        Request = request;
        var spec = request.Spec;
        StageNames = [.. spec.Stages.Select(s => $"long {s:g}×"), $"short {spec.Factor:g}×"];
        // Every generation of every stage reports once, the initial population included.
        TotalSteps = spec.Stages.Count * (spec.Generations + 1) + spec.ShortGenerations + 1;
    }

    /// <summary>Counts searches in this Lab, so a page can tell a new search from the one it drew.</summary>
    public int Id { get; }

    public RopeSearchRequest Request { get; }

    /// <summary>The stages in the order they run: each long stage of the spec, then the short phase.</summary>
    public IReadOnlyList<string> StageNames { get; }

    public int TotalSteps { get; }

    public RopeSearchState State { get; private set; } = RopeSearchState.Running;

    /// <summary>What the search is doing now (loading, sampling, searching), or why it stopped.</summary>
    public string Status { get; private set; } = "Starting";

    public RopeSearchResult? Result { get; private set; }

    public Task Completion { get; internal set; } = Task.CompletedTask;

    public IReadOnlyList<RopeSearchStep> Steps
    {
        get { lock (gate) return steps.ToArray(); }
    }

    /// <summary>
    /// The steps so far, and <paramref name="onStep"/> called (on the search's thread) for each later
    /// one, with nothing lost or repeated in between; dispose the subscription to stop.
    /// </summary>
    public IReadOnlyList<RopeSearchStep> Follow(Action<RopeSearchStep> onStep, out IDisposable subscription)
    {
        lock (gate)
        {
            Stepped += onStep;
            subscription = new Unsubscribe(() => { lock (gate) Stepped -= onStep; });
            return steps.ToArray();
        }
    }

    internal void Report(RopeSearchProgress progress)
    {
        RopeSearchStep step;
        Action<RopeSearchStep>? handlers;
        lock (gate)
        {
            var stage = progress.Phase == RopeSearchPhase.Short
                ? Request.Spec.Stages.Count
                : Request.Spec.Stages.ToList().IndexOf(progress.Factor);
            step = new RopeSearchStep(steps.Count + 1, stage, progress);
            steps.Add(step);
            Status = $"{StageNames[stage]}: generation {progress.Generation}/{progress.Generations}, best perplexity {progress.BestPerplexity:F3}";
            handlers = Stepped;
        }
        handlers?.Invoke(step);
    }

    internal void SetStatus(string status) => Status = status;

    internal void Finish(RopeSearchState state, string status, RopeSearchResult? result = null)
    {
        Result = result;
        Status = status;
        State = state;
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}

/// <summary>
/// Runs LongRoPE searches for the Lab, one at a time, on a thread of their own so that pages stay
/// live; the current search outlives the page that started it. <see cref="Changed"/> fires (on any
/// thread) when a search starts, reports or stops.
/// </summary>
public sealed class RopeSearchRunner(ModelCatalog catalog, ILogger<RopeSearchRunner> logger) : IDisposable
{
    private readonly object gate = new();
    private CancellationTokenSource? cancellation;
    private int searches;

    public RopeSearchSession? Current { get; private set; }

    public event Action? Changed;

    public bool Running => Current?.State == RopeSearchState.Running;

    /// <summary>Starts a search; throws <see cref="ArgumentException"/> for a bad request and <see cref="InvalidOperationException"/> while one runs.</summary>
    public RopeSearchSession Start(RopeSearchRequest request)
    {
        if (request.Problem() is { } problem) throw new ArgumentException(problem);
        RopeSearchSession session;
        lock (gate)
        {
            if (Running) throw new InvalidOperationException("A search is already running; cancel it or wait for it to finish.");
            cancellation?.Dispose();
            cancellation = new CancellationTokenSource();
            session = new RopeSearchSession(++searches, request);
            Current = session;
            var token = cancellation.Token;
            session.Completion = Task.Factory.StartNew(() => Search(session, token), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        Changed?.Invoke();
        return session;
    }

    public void Cancel()
    {
        lock (gate) cancellation?.Cancel();
    }

    /// <summary>Writes the finished search's model with its longrope config into the data directory's models/ folder.</summary>
    public string SaveAsModel(RopeSearchSession session, string name)
    {
        if (session.Result is not { } result) throw new InvalidOperationException("The search has no result to save yet.");
        return SearchedModel.Save(session.Request.Model.Directory, result, Path.Combine(catalog.DataModels, SearchedModel.CheckName(name)));
    }

    private void Search(RopeSearchSession session, CancellationToken cancel)
    {
        var request = session.Request;
        var spec = request.Spec;
        try
        {
            Say(session, $"Loading {request.Model.Name} on {request.Device}");
            var tokenizer = Tokenizer.Load(request.Model.Directory);
            // float32 whatever the checkpoint holds: candidates differ by small perplexity gaps that bf16 would blur.
            using var model = PretrainedModel.Load(request.Model.Directory, Device.Parse(request.Device), DType.Float32);
            var length = (int)Math.Round(spec.Factor * model.Config.MaxPositionEmbeddings);
            Say(session, $"Drawing {spec.Samples} synthetic samples of {length} tokens");
            var samples = SearchSamples.Synthetic(text => tokenizer.Encode(text, addSpecialTokens: true), spec.Samples, length, spec.Seed);
            cancel.ThrowIfCancellationRequested();
            Say(session, "Searching");
            var result = LongRopeSearch.Run(model, samples, spec, new Reporter(p =>
            {
                session.Report(p);
                Changed?.Invoke();
            }), cancel);
            session.Finish(RopeSearchState.Completed,
                $"Done: long perplexity {result.LongPerplexity:F3} at {result.MaxPositionEmbeddings} tokens, short {result.ShortPerplexity:F3}", result);
        }
        catch (OperationCanceledException)
        {
            session.Finish(RopeSearchState.Cancelled, "Cancelled.");
        }
        // Whatever stops it, a search ends in a final state: one left Running would block every later search.
        catch (Exception e)
        {
            logger.LogWarning(e, "LongRoPE search on {Model} failed", request.Model.Directory);
            session.Finish(RopeSearchState.Failed, e.Message);
        }
        Changed?.Invoke();
    }

    private void Say(RopeSearchSession session, string status)
    {
        session.SetStatus(status);
        Changed?.Invoke();
    }

    public void Dispose()
    {
        Cancel();
        Current?.Completion.Wait(TimeSpan.FromSeconds(10));
        cancellation?.Dispose();
    }

    /// <summary>Reports on the search's own thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Reporter(Action<RopeSearchProgress> report) : IProgress<RopeSearchProgress>
    {
        public void Report(RopeSearchProgress value) => report(value);
    }
}

/// <summary>A searched model on disk: the base model's weights and tokenizer with the searched longrope config.</summary>
public static class SearchedModel
{
    /// <summary>The name as a directory name, or an <see cref="ArgumentException"/> saying what is wrong with it.</summary>
    public static string CheckName(string name)
    {
        var trimmed = name.Trim();
        if (trimmed.Length == 0) throw new ArgumentException("Give the new model a name.");
        if (trimmed is "." or ".." || trimmed.StartsWith('.') || trimmed.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || trimmed.Contains('\\'))
            throw new ArgumentException($"'{trimmed}' is not a folder name (no slashes, no leading dot).");
        return trimmed;
    }

    /// <summary>
    /// Writes <paramref name="target"/> (which must not exist): the weights of <paramref name="source"/>
    /// as they are, its tokenizer files, and its config with <paramref name="result"/> applied. The copy
    /// is built beside the target and renamed into place, so a failed save leaves no half model.
    /// </summary>
    public static string Save(string source, RopeSearchResult result, string target)
    {
        target = Path.GetFullPath(target);
        if (Directory.Exists(target) || File.Exists(target)) throw new IOException($"{target} already exists; choose another name.");
        var config = result.Apply(LlamaConfig.Load(Path.Combine(source, PretrainedModel.ConfigFile)));
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var partial = Path.Combine(parent, $".{Path.GetFileName(target)}.partial");
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        try
        {
            Directory.CreateDirectory(partial);
            foreach (var weights in Directory.EnumerateFiles(source, "model*.safetensors*"))
                File.Copy(weights, Path.Combine(partial, Path.GetFileName(weights)));
            PretrainedModel.CopyTokenizer(source, partial);
            config.Save(partial);
            Directory.Move(partial, target);
        }
        catch
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            throw;
        }
        return target;
    }
}
