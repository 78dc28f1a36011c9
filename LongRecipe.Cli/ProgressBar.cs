using LongRecipe.Engine.Events;

namespace LongRecipe.Cli;

/// <summary>A one-line progress bar on stderr, redrawn in place: [#########...........]  45%  label.</summary>
public sealed class ProgressBar(string label) : IProgress<double>, IDisposable
{
    private const int Width = 30;
    private int lastPercent = -1;
    private string lastLabel = label;

    /// <summary>Moves the bar to a training step and shows it: "LABEL 12/100  loss 2.345  lr 0.0002  650 tok/s  eta 00:01:30".</summary>
    public void Report(StepEvent s, string label) =>
        Report((double)s.Step / s.TotalSteps,
            $"{label} {s.Step}/{s.TotalSteps}  loss {s.Loss:F3}  lr {s.LearningRate:G3}  {s.TokensPerSecond:F0} tok/s  eta {s.Eta:hh\\:mm\\:ss}");

    public void Report(double fraction) => Report(fraction, lastLabel);

    /// <summary>Redraws with a new label, e.g. the current generation and best score.</summary>
    public void Report(double fraction, string status)
    {
        var percent = (int)Math.Round(Math.Clamp(fraction, 0, 1) * 100);
        if (percent == lastPercent && status == lastLabel) return;
        var padding = new string(' ', Math.Max(0, lastLabel.Length - status.Length));
        (lastPercent, lastLabel) = (percent, status);
        var filled = percent * Width / 100;
        Console.Error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}%  {status}{padding}");
    }

    public void Dispose()
    {
        if (lastPercent >= 0) Console.Error.WriteLine();
    }
}
