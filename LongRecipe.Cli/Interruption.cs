using System.Runtime.InteropServices;

namespace LongRecipe.Cli;

/// <summary>
/// Cancelled by Ctrl-C (SIGINT) and by SIGTERM (kill, a scheduler stopping a job) alike, instead of the process ending
/// there, so a verb stops the way it does for Ctrl-C: a half-built store removed, a run checkpointed.
/// </summary>
internal sealed class Interruption : CancellationTokenSource
{
    private readonly PosixSignalRegistration[] signals;

    public Interruption() =>
        signals = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(signal => PosixSignalRegistration.Create(signal, Interrupt))];

    private void Interrupt(PosixSignalContext context)
    {
        context.Cancel = true;
        Cancel();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var signal in signals) signal.Dispose();
        base.Dispose(disposing);
    }
}
