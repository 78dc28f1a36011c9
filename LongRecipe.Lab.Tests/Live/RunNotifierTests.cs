using LongRecipe.Engine.Events;
using LongRecipe.Lab.Live;
using Microsoft.Extensions.Logging.Abstractions;

namespace LongRecipe.Lab.Tests.Live;

public sealed class RunNotifierTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static LogEvent Log(string message) => new(Noon, "extend", RunLogLevel.Information, message);

    [Fact]
    public async Task A_run_subscriber_gets_only_its_runs_events_and_an_all_runs_subscriber_gets_every_one()
    {
        var notifier = new RunNotifier(NullLogger<RunNotifier>.Instance);
        var mine = new List<string>();
        var all = new List<string>();
        using var one = notifier.Subscribe("a", e => { mine.Add(((LogEvent)e).Message); return Task.CompletedTask; });
        using var every = notifier.SubscribeAll((run, e) => { all.Add($"{run}:{((LogEvent)e).Message}"); return Task.CompletedTask; });

        await notifier.PublishAsync("a", Log("first"));
        await notifier.PublishAsync("b", Log("other"));
        await notifier.PublishAsync("a", Log("second"));

        Assert.Equal(["first", "second"], mine);
        Assert.Equal(["a:first", "b:other", "a:second"], all);
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_its_events()
    {
        var notifier = new RunNotifier(NullLogger<RunNotifier>.Instance);
        var seen = 0;
        var subscription = notifier.Subscribe("a", _ => { seen++; return Task.CompletedTask; });
        await notifier.PublishAsync("a", Log("one"));
        subscription.Dispose();
        await notifier.PublishAsync("a", Log("two"));

        Assert.Equal(1, seen);
    }

    [Fact]
    public async Task A_failing_subscriber_does_not_keep_the_event_from_the_others_or_fail_the_publisher()
    {
        var notifier = new RunNotifier(NullLogger<RunNotifier>.Instance);
        var seen = 0;
        using var broken = notifier.Subscribe("a", _ => throw new InvalidOperationException("page gone"));
        using var working = notifier.Subscribe("a", _ => { seen++; return Task.CompletedTask; });

        await notifier.PublishAsync("a", Log("one"));

        Assert.Equal(1, seen);
    }
}
