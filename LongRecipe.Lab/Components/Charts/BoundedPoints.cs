namespace LongRecipe.Lab.Components.Charts;

/// <summary>
/// A trace's points, at least the newest Bound of them: trimmed in place once they are twice the bound, so a trace
/// appended to for hours holds a constant size and allocates only the points themselves.
/// </summary>
public sealed class BoundedPoints(int bound)
{
    public List<double> X { get; } = [];

    public List<double> Y { get; } = [];

    public void Add(double x, double y)
    {
        X.Add(x);
        Y.Add(y);
        Trim();
    }

    public void Add(IEnumerable<double> x, IEnumerable<double> y)
    {
        X.AddRange(x);
        Y.AddRange(y);
        Trim();
    }

    private void Trim()
    {
        if (X.Count <= 2 * bound) return;
        X.RemoveRange(0, X.Count - bound);
        Y.RemoveRange(0, Y.Count - bound);
    }
}
