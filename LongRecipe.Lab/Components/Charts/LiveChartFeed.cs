namespace LongRecipe.Lab.Components.Charts;

/// <summary>Points to append to some traces of a drawn chart: X[k] and Y[k] go to trace Indices[k].</summary>
public sealed record ChartExtension(int[] Indices, double[][] X, double[][] Y);

/// <summary>
/// Collects points for a live chart from any thread (e.g. a run's event handler) until the chart
/// takes them: a <see cref="Chart"/> given this feed drains it every <see cref="Chart.FlushInterval"/>
/// into one ExtendTraces call, so a run logging thousands of steps a second costs the browser a few
/// redraws a second.
/// </summary>
public sealed class LiveChartFeed
{
    /// <summary>The points a trace keeps by default, in the browser and in the server's copy of the figure.</summary>
    public const int DefaultMaxPoints = 10_000;

    private readonly object gate = new();
    private readonly SortedDictionary<int, BoundedPoints> pending = new();

    /// <summary>Keeps each trace to its last MaxPoints points, e.g. 10,000.</summary>
    public int MaxPoints { get; init; } = DefaultMaxPoints;

    public void Add(int trace, double x, double y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trace);
        lock (gate)
        {
            if (!pending.TryGetValue(trace, out var points)) pending[trace] = points = new BoundedPoints(MaxPoints);
            // A chart whose browser falls behind drains late; only the points it would keep are worth holding.
            points.Add(x, y);
        }
    }

    /// <summary>
    /// What was added since the last drain, traces in ascending order, each trace's last MaxPoints points at least
    /// (at most twice that: trimming waits for a whole MaxPoints to drop); null when nothing was.
    /// </summary>
    public ChartExtension? Drain()
    {
        lock (gate)
        {
            if (pending.Count == 0) return null;
            var extension = new ChartExtension(
                pending.Keys.ToArray(),
                pending.Values.Select(p => p.X.ToArray()).ToArray(),
                pending.Values.Select(p => p.Y.ToArray()).ToArray());
            pending.Clear();
            return extension;
        }
    }
}
