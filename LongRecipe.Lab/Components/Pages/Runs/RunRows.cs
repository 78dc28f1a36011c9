using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>
/// The Runs page's filter form: a status (any when null), text the name contains (any case), and a day
/// (UTC, as the list shows times) on or after which runs were created.
/// </summary>
public sealed record RunQuery(RunStatus? Status = null, string? Name = null, DateTime? CreatedOnOrAfter = null)
{
    public RunFilter ToFilter() => new(
        Status,
        string.IsNullOrWhiteSpace(Name) ? null : Name.Trim(),
        CreatedOnOrAfter is { } day ? new DateTimeOffset(day.Date, TimeSpan.Zero) : null);
}

/// <summary>
/// One line of the runs list. Duration runs from start to end, or to now while the run runs; null before it
/// starts. FinalModel is the run folder's model/ once the run has saved it, else null.
/// </summary>
public sealed record RunRow(
    long Id, string Name, RunStatus Status, string Device, DateTimeOffset Created, TimeSpan? Duration,
    double? FinalLoss, AtLength? Passkey, AtLength? Perplexity, string? Checkpoint, string? FinalModel)
{
    /// <summary>Running or queued runs are not deleted: their folder is in use.</summary>
    public bool CanDelete => Status is not (RunStatus.Running or RunStatus.Queued);

    public static RunRow From(RunRecord run, StepEvent? lastStep, EvalResults evals, DateTimeOffset now)
    {
        var finalModel = Path.Combine(run.Folder, RecipeRunner.ModelFolder);
        return new RunRow(run.Id, run.Name, run.Status, run.Device, run.Created, Elapsed(run, now), lastStep?.Loss,
            evals.LongestPasskey, evals.LongestPerplexity, run.Checkpoint, Directory.Exists(finalModel) ? finalModel : null);
    }

    /// <summary>From start to end, or to <paramref name="now"/> while running; null before the run starts.</summary>
    public static TimeSpan? Elapsed(RunRecord run, DateTimeOffset now) =>
        run.Started is not { } started ? null
        : run.Ended is { } ended ? ended - started
        : run.Status == RunStatus.Running ? now - started
        : null;

    /// <summary>The rows the query selects, newest first.</summary>
    public static IReadOnlyList<RunRow> Load(RunStore store, RunQuery query, DateTimeOffset now) =>
        store.ListRuns(query.ToFilter())
            .Select(run => From(run, store.Steps(run.Id, maxPoints: 1).LastOrDefault(), EvalResults.From(store.Evals(run.Id)), now))
            .ToList();
}

/// <summary>
/// The runs ticked for comparison, by id. Only runs still listed stay ticked when the list changes, so the
/// count shown is the count compared.
/// </summary>
public sealed class RunSelection
{
    public const int MinCompared = 2, MaxCompared = 4;

    private readonly List<long> ids = [];

    public IReadOnlyList<long> Ids => ids;

    public bool Contains(long id) => ids.Contains(id);

    public void Toggle(long id, bool selected)
    {
        if (!selected) ids.Remove(id);
        else if (!ids.Contains(id)) ids.Add(id);
    }

    /// <summary>Keeps only the ids in <paramref name="listed"/>.</summary>
    public void KeepOnly(IEnumerable<long> listed)
    {
        var keep = listed.ToHashSet();
        ids.RemoveAll(id => !keep.Contains(id));
    }

    public bool CanCompare => ids.Count is >= MinCompared and <= MaxCompared;

    /// <summary>Why the selection cannot be compared, or null when it can.</summary>
    public string? Problem => ids.Count switch
    {
        < MinCompared => $"Tick {MinCompared} to {MaxCompared} runs to compare them.",
        > MaxCompared => $"Compare at most {MaxCompared} runs at once ({ids.Count} are ticked).",
        _ => null,
    };

    /// <summary>The compare page's address for the ticked runs, in the order they were ticked.</summary>
    public string CompareUrl => RunComparison.Url(ids);
}
