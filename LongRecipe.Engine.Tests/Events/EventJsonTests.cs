using System.Text.Json;
using LongRecipe.Engine.Events;
using LongRecipe.Lab.Live;

namespace LongRecipe.Lab.Tests.Live;

public sealed class RunEventJsonTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<RunEvent, string> Events => new()
    {
        { new StepEvent(Noon, "extend", 10, 100, 2.5, 2e-5, 0.9, 1500, 40960, 1 << 30, TimeSpan.FromMinutes(3), 0), "step" },
        { new StageEvent(Noon, "anneal", StagePhase.Started, 1, 3), "stage" },
        { new EvalEvent(Noon, "eval", "niah", 8192, 50, "accuracy", 1, 4), "eval" },
        { new CheckpointEvent(Noon, "extend", 100, "/data/runs/r1/step-100"), "checkpoint" },
        { new LogEvent(Noon, "extend", RunLogLevel.Warning, "loss spike"), "log" },
        { new StatusEvent(Noon, "extend", RunStatus.Failed, "out of memory"), "status" },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Every_event_carries_its_type_first_and_reads_back_equal(RunEvent runEvent, string type)
    {
        var element = RunEventJson.ToElement(runEvent);

        Assert.Equal(RunEventJson.Discriminator, element.EnumerateObject().First().Name);
        Assert.Equal(type, element.GetProperty("type").GetString());
        Assert.Equal("2026-11-22T12:00:00+00:00", element.GetProperty("time").GetString());
        Assert.Equal(runEvent, RunEventJson.Parse(element.GetRawText()));
    }

    [Fact]
    public void Fields_are_camel_case_and_enums_are_names()
    {
        var element = RunEventJson.ToElement(new StatusEvent(Noon, "extend", RunStatus.Cancelled));

        Assert.Equal("cancelled", element.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, element.GetProperty("error").ValueKind);
        Assert.Equal("extend", element.GetProperty("stage").GetString());
    }

    [Fact]
    public void Every_event_type_of_the_contract_has_a_name()
    {
        var contract = typeof(RunEvent).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(RunEvent)) && !t.IsAbstract);

        Assert.Equal(contract.OrderBy(t => t.Name), RunEventJson.TypeNames.Keys.OrderBy(t => t.Name));
    }
}
