using LongRecipe.Engine.Events;

namespace LongRecipe.Lab.Live;

/// <summary>
/// The Lab's in-process fan-out of run events: whoever executes a run publishes its events here;
/// pages (through InvokeAsync) and the <see cref="RunsHub"/> relay subscribe. A singleton.
/// Handlers run one after another on the publisher's thread; one that throws is logged and the
/// others still get the event, so a broken page never stops a run.
/// </summary>
public sealed class RunNotifier(ILogger<RunNotifier> logger)
{
    private readonly object gate = new();
    private readonly List<Subscription> subscriptions = [];

    /// <summary>Calls <paramref name="handler"/> with every event of run <paramref name="runId"/> until the result is disposed.</summary>
    public IDisposable Subscribe(string runId, Func<RunEvent, Task> handler) =>
        Add(new Subscription(this, runId, (_, e) => handler(e)));

    /// <summary>Calls <paramref name="handler"/> with every run's events (run id, event) until the result is disposed.</summary>
    public IDisposable SubscribeAll(Func<string, RunEvent, Task> handler) => Add(new Subscription(this, null, handler));

    /// <summary>Hands the event to the run's subscribers and to those of every run, in subscription order.</summary>
    public async Task PublishAsync(string runId, RunEvent runEvent)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        Subscription[] targets;
        lock (gate) targets = subscriptions.Where(s => s.RunId is null || s.RunId == runId).ToArray();
        foreach (var subscription in targets)
        {
            try
            {
                await subscription.Handler(runId, runEvent);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "A subscriber of run {RunId} failed on a {Event}", runId, runEvent.GetType().Name);
            }
        }
    }

    private Subscription Add(Subscription subscription)
    {
        lock (gate) subscriptions.Add(subscription);
        return subscription;
    }

    private void Remove(Subscription subscription)
    {
        lock (gate) subscriptions.Remove(subscription);
    }

    private sealed class Subscription(RunNotifier owner, string? runId, Func<string, RunEvent, Task> handler) : IDisposable
    {
        public string? RunId { get; } = runId;
        public Func<string, RunEvent, Task> Handler { get; } = handler;
        public void Dispose() => owner.Remove(this);
    }
}
