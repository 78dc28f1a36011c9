using System.Threading.Channels;

namespace LongRecipe.Engine.Runs;

/// <summary>
/// Long work that holds its thread (a training loop, a whole run) runs on a thread of its own and hands its
/// events over a channel; the trainer and the recipe runner share these two pieces.
/// </summary>
internal static class OwnThread
{
    /// <summary>Runs <paramref name="work"/> on a new background thread; the task ends with its result or its exception.</summary>
    public static Task<T> Start<T>(string name, Func<T> work)
    {
        var finished = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                finished.SetResult(work());
            }
            catch (Exception e)
            {
                finished.SetException(e);
            }
        }) { IsBackground = true, Name = name };
        thread.Start();
        return finished.Task;
    }

    /// <summary>Writes from the work's own thread, waiting there when a bounded channel is full.</summary>
    public static void WriteBlocking(this ChannelWriter<RunEvent> events, RunEvent e)
    {
        if (!events.TryWrite(e)) events.WriteAsync(e).AsTask().GetAwaiter().GetResult();
    }
}
