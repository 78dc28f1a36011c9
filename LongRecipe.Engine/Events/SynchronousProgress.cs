namespace LongRecipe.Engine.Events;

/// <summary>
/// Reports on the calling thread, in order (Progress&lt;T&gt; posts to the thread pool): a progress bar is drawn as the
/// work goes, and a run's events leave in the order the work made them.
/// </summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
