namespace LongRecipe.Lab.Components.Charts;

/// <summary>
/// The live points a chart has appended to its figure, each trace's last MaxPoints of them: the server's bounded copy,
/// which a redraw of the same figure (the dark theme toggled, say) appends again so the points already streamed stay
/// drawn. Plain doubles, trimmed in place once a trace holds twice its bound, so a chart streaming for hours holds a
/// constant few hundred kilobytes and allocates only the points themselves.
/// </summary>
public sealed class LiveTraces(int maxPoints)
{
    private readonly SortedDictionary<int, (List<double> X, List<double> Y)> traces = new();

    public int MaxPoints { get; } = maxPoints > 0 ? maxPoints : throw new ArgumentOutOfRangeException(nameof(maxPoints));

    public void Append(ChartExtension extension)
    {
        for (var k = 0; k < extension.Indices.Length; k++)
        {
            if (!traces.TryGetValue(extension.Indices[k], out var trace)) traces[extension.Indices[k]] = trace = ([], []);
            trace.X.AddRange(extension.X[k]);
            trace.Y.AddRange(extension.Y[k]);
            if (trace.X.Count > 2 * MaxPoints)
            {
                trace.X.RemoveRange(0, trace.X.Count - MaxPoints);
                trace.Y.RemoveRange(0, trace.Y.Count - MaxPoints);
            }
        }
    }

    /// <summary>Forgets every point: a new figure holds what it should show.</summary>
    public void Clear() => traces.Clear();

    /// <summary>Each trace's last MaxPoints points as one extension, traces in ascending order; null when none were appended.</summary>
    public ChartExtension? Kept()
    {
        if (traces.Count == 0) return null;
        static double[] Last(List<double> values, int count) => values.GetRange(Math.Max(0, values.Count - count), Math.Min(count, values.Count)).ToArray();
        return new ChartExtension(traces.Keys.ToArray(),
            traces.Values.Select(t => Last(t.X, MaxPoints)).ToArray(), traces.Values.Select(t => Last(t.Y, MaxPoints)).ToArray());
    }
}
