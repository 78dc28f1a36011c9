using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace LongRecipe.Tests.Support;

/// <summary>
/// Waits on work by its progress, not by a guess of how long it takes: a wait gives up only when its progress
/// signal (events counted, a page's text, a process's CPU time) has stayed the same for <see cref="Stall"/>.
/// Work that is slow on a busy machine keeps moving the signal and is waited for; work that hangs stops it.
/// Compiled into the Lab's and the command line's tests (one file, linked).
/// </summary>
public static class ProgressWait
{
    /// <summary>How long a signal may stand still: far longer than any one step, event or page update takes on a loaded machine.</summary>
    public static readonly TimeSpan Stall = TimeSpan.FromMinutes(3);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>CPU time that counts as work: at least this much, and at least <see cref="WorkingShare"/> of the time since the last move.</summary>
    private static readonly TimeSpan WorkingCpu = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The share of a core below which a process counts as idle: an idle Lab with live dashboards open still uses about
    /// 0.7% (their timers), which a fixed amount of CPU time would count as progress every few minutes, for ever; work,
    /// even on a machine loaded many times over, gets far more.
    /// </summary>
    private const double WorkingShare = 0.02;

    /// <summary>
    /// Whether the signal moved: any change, but CPU time only by as much as work uses, so an idle process is no progress;
    /// a tuple (a process's CPU time and its output, say) moved when any part did.
    /// </summary>
    private static bool Moved(object? last, object? now, TimeSpan since) => (last, now) switch
    {
        (TimeSpan before, TimeSpan after) => after - before >= WorkingCpu && (after - before).TotalSeconds >= WorkingShare * since.TotalSeconds,
        (ITuple before, ITuple after) when before.Length == after.Length => Enumerable.Range(0, before.Length).Any(i => Moved(before[i], after[i], since)),
        _ => !Equals(now, last),
    };

    /// <summary>Awaits <paramref name="work"/> while <paramref name="signal"/> keeps changing; <paramref name="what"/> names it in the failure.</summary>
    public static async Task<T> For<T>(Task<T> work, Func<object?> signal, string what, CancellationToken cancel = default)
    {
        var watch = new Watch(signal, what);
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(Poll, cancel));
            cancel.ThrowIfCancellationRequested();
            watch.Check();
        }
        return await work;
    }

    public static Task For(Task work, Func<object?> signal, string what, CancellationToken cancel = default) =>
        For(work.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), signal, what, cancel);

    /// <summary>
    /// Checks <paramref name="condition"/> until it holds, while <paramref name="signal"/> keeps changing; the
    /// failure carries the condition's last word (<paramref name="condition"/> returns null when it holds).
    /// </summary>
    public static async Task Until(Func<Task<string?>> condition, Func<object?> signal, string what, CancellationToken cancel = default)
    {
        var watch = new Watch(signal, what);
        while (await condition() is { } unmet)
        {
            await Task.Delay(Poll, cancel);
            watch.Check(unmet);
        }
    }

    /// <summary>One wait's signal: where it last moved, and since when it has stood still.</summary>
    private sealed class Watch(Func<object?> signal, string what)
    {
        private object? last = signal();
        private Stopwatch still = Stopwatch.StartNew();

        /// <summary>Notes a move of the signal, or throws once it has stood still past <see cref="Stall"/> (with the wait's last word, if any).</summary>
        public void Check(string? unmet = null)
        {
            var now = signal();
            if (Moved(last, now, still.Elapsed)) (last, still) = (now, Stopwatch.StartNew());
            else if (still.Elapsed > Stall)
                throw new TimeoutException($"{what}: no progress for {Stall.TotalSeconds:F0} s (progress stayed at {now})" + (unmet is null ? "" : $"; {unmet}"));
        }
    }

    /// <summary>A process's progress: the CPU time it has used (and whether it has ended).</summary>
    public static object ProcessSignal(Process process)
    {
        try
        {
            process.Refresh();
            return process.HasExited ? "exited" : process.TotalProcessorTime;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // It ended between the check and the read: /proc no longer has its times.
            return "exited";
        }
    }
}
