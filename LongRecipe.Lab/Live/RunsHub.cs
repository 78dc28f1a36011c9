using LongRecipe.Engine.Events;
using Microsoft.AspNetCore.SignalR;

namespace LongRecipe.Lab.Live;

/// <summary>
/// SignalR hub at <see cref="Path"/> for clients outside the Lab (a notebook, a script): invoke
/// Join(runId) and receive "runEvent"(runId, event) for each of that run's events, the event as
/// <see cref="EventJson"/> writes it; Leave(runId) stops them.
/// </summary>
public sealed class RunsHub : Hub
{
    public const string Path = "/hubs/runs";

    /// <summary>The client method each event is sent to.</summary>
    public const string EventMethod = "runEvent";

    public Task Join(string runId) => Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(runId));

    public Task Leave(string runId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(runId));

    internal static string GroupOf(string runId) => "run:" + runId;
}

/// <summary>Forwards every event the <see cref="RunNotifier"/> publishes to the hub group of its run.</summary>
public sealed class RunsHubRelay(RunNotifier notifier, IHubContext<RunsHub> hub) : IHostedService
{
    private IDisposable? subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        subscription = notifier.SubscribeAll(Send);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        subscription?.Dispose();
        return Task.CompletedTask;
    }

    private Task Send(string runId, RunEvent runEvent) =>
        hub.Clients.Group(RunsHub.GroupOf(runId)).SendAsync(RunsHub.EventMethod, runId, EventJson.ToElement(runEvent));
}
