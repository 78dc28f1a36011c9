namespace LongRecipe.Lab.Components.Charts;

/// <summary>What a live chart sends the browser: points to append to its traces, or every trace drawn anew.</summary>
public sealed record LiveUpdate(ChartExtension Points, bool Redraw);

/// <summary>
/// A live chart's lines on the server: the figure's points and those streamed since, each trace's last MaxPoints of
/// them (<see cref="BoundedPoints"/>), and how many points the browser holds.
/// New points are appended as they are while every trace in the browser stays within twice ShownPoints; past that,
/// every trace is redrawn as its kept points reduced to ShownPoints (<see cref="MinMaxReduction"/>). So the browser
/// redraws at most 2 × ShownPoints a trace however many the chart keeps, and a redraw of the figure (the theme
/// toggled) gets back every point streamed since it was made.
/// </summary>
public sealed class LiveTraces
{
    /// <summary>The points a browser's trace is redrawn with: about a point a pixel of a wide chart, spikes kept.</summary>
    public const int DefaultShownPoints = 1_000;

    private readonly SortedDictionary<int, BoundedPoints> traces = new();
    private readonly Dictionary<int, int> shown = new();

    public LiveTraces(int maxPoints, int shownPoints = DefaultShownPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shownPoints, MinMaxReduction.MinBudget);
        (MaxPoints, ShownPoints) = (maxPoints, shownPoints);
    }

    /// <summary>The newest points a trace keeps, e.g. 10,000.</summary>
    public int MaxPoints { get; }

    /// <summary>The points a trace is reduced to when it is redrawn, e.g. 1,000.</summary>
    public int ShownPoints { get; }

    /// <summary>The lines of a figure as its chart first draws them: each trace with numeric x (lines, markers) is kept.</summary>
    public static LiveTraces Of(ChartFigure figure, int maxPoints, int shownPoints = DefaultShownPoints)
    {
        var live = new LiveTraces(maxPoints, shownPoints);
        for (var i = 0; i < figure.Traces.Count; i++)
        {
            var trace = figure.Traces[i];
            if (trace.Kind is TraceKind.Bar or TraceKind.Heatmap || trace.XLabels is not null) continue;
            live.Append(i, trace.X, trace.Y);
            live.shown[i] = trace.X.Count;
        }
        return live;
    }

    /// <summary>Keeps the points and says how the browser gets them: appended as they are, or every trace redrawn reduced.</summary>
    public LiveUpdate Add(ChartExtension added)
    {
        for (var k = 0; k < added.Indices.Length; k++) Append(added.Indices[k], added.X[k], added.Y[k]);
        var held = added.Indices.Select((trace, k) => (Trace: trace, Count: shown.GetValueOrDefault(trace) + added.X[k].Length)).ToList();
        if (held.Max(h => h.Count) > 2 * ShownPoints) return new LiveUpdate(Shown()!, Redraw: true);
        foreach (var (trace, count) in held) shown[trace] = count;
        return new LiveUpdate(added, Redraw: false);
    }

    /// <summary>
    /// Each trace's last MaxPoints points reduced to ShownPoints, traces in ascending order, as the browser is to hold
    /// them from now on; null when there are no traces.
    /// </summary>
    public ChartExtension? Shown()
    {
        if (traces.Count == 0) return null;
        var reduced = traces.ToDictionary(t => t.Key, t =>
        {
            var from = Math.Max(0, t.Value.X.Count - MaxPoints);
            return MinMaxReduction.Reduce(t.Value.X[from..], t.Value.Y[from..], ShownPoints);
        });
        foreach (var (trace, points) in reduced) shown[trace] = points.X.Length;
        return new ChartExtension([.. reduced.Keys], [.. reduced.Values.Select(p => p.X)], [.. reduced.Values.Select(p => p.Y)]);
    }

    private void Append(int index, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (!traces.TryGetValue(index, out var trace)) traces[index] = trace = new BoundedPoints(MaxPoints);
        trace.Add(x, y);
    }
}
