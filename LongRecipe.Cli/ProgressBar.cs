namespace LongRecipe.Cli;

/// <summary>A one-line progress bar on stderr, redrawn in place: [#########...........]  45%  label.</summary>
public sealed class ProgressBar(string label) : IProgress<double>, IDisposable
{
    private const int Width = 30;
    private int lastPercent = -1;
    private int lastLength;

    public void Report(double fraction)
    {
        var percent = Percent(fraction);
        if (percent != lastPercent) Draw(percent);
    }

    /// <summary>Moves the bar and replaces its label (the loss of the latest step, say).</summary>
    public void Report(double fraction, string newLabel)
    {
        label = newLabel;
        Draw(Percent(fraction));
    }

    private static int Percent(double fraction) => (int)Math.Round(Math.Clamp(fraction, 0, 1) * 100);

    private void Draw(int percent)
    {
        lastPercent = percent;
        var filled = percent * Width / 100;
        var line = $"[{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}%  {label}";
        // Spaces over what a longer previous line left.
        Console.Error.Write($"\r{line.PadRight(lastLength)}");
        lastLength = line.Length;
    }

    public void Dispose()
    {
        if (lastPercent >= 0) Console.Error.WriteLine();
    }
}
