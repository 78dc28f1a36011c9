namespace LongRecipe.Cli;

/// <summary>A one-line progress bar on stderr, redrawn in place: [#########...........]  45%  label.</summary>
public sealed class ProgressBar(string label) : IProgress<double>, IDisposable
{
    private const int Width = 30;
    private int lastPercent = -1;

    public void Report(double fraction)
    {
        var percent = (int)Math.Round(Math.Clamp(fraction, 0, 1) * 100);
        if (percent == lastPercent) return;
        lastPercent = percent;
        var filled = percent * Width / 100;
        Console.Error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}%  {label}");
    }

    public void Dispose()
    {
        if (lastPercent >= 0) Console.Error.WriteLine();
    }
}
