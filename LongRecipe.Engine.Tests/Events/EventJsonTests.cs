using System.Text.Json;
using System.Text.Json.Serialization;
using System.Reflection;
using LongRecipe.Engine.Events;

namespace LongRecipe.Engine.Tests.Events;

public sealed class EventJsonTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<RunEvent, string> Events => new()
    {
        { new StepEvent(Noon, "extend", 10, 100, 2.5, 2e-5, 0.9, 1500, 40960, 1 << 30, TimeSpan.FromMinutes(3), 0), "step" },
        { new StageEvent(Noon, "anneal", StagePhase.Started, 1, 3), "stage" },
        { new EvalEvent(Noon, "eval", Benchmarks.Niah, 8192, 50, Metrics.Accuracy, 1, 4), "eval" },
        { new CheckpointEvent(Noon, "extend", 100, "/data/runs/r1/step-100"), "checkpoint" },
        { new LogEvent(Noon, "extend", RunLogLevel.Warning, "loss spike"), "log" },
        { new StatusEvent(Noon, "extend", RunStatus.Failed, "out of memory"), "status" },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Every_event_carries_its_type_first_and_reads_back_equal(RunEvent runEvent, string type)
    {
        var element = EventJson.ToElement(runEvent);

        Assert.Equal(EventJson.Discriminator, element.EnumerateObject().First().Name);
        Assert.Equal(type, element.GetProperty("type").GetString());
        Assert.Equal("2026-11-22T12:00:00+00:00", element.GetProperty("time").GetString());
        Assert.Equal(runEvent, EventJson.Parse(element.GetRawText()));
        Assert.Equal(element.GetRawText(), EventJson.Serialize(runEvent));
    }

    [Fact]
    public void Fields_are_snake_case_enums_are_names_and_durations_are_seconds()
    {
        var step = EventJson.ToElement(new StepEvent(Noon, "extend", 10, 100, 2.5, 2e-5, 0.9, 1500, 40960, 1 << 30, TimeSpan.FromMinutes(3), 2));
        Assert.Equal(
            ["type", "time", "stage", "step", "total_steps", "loss", "learning_rate", "grad_norm", "tokens_per_second", "tokens", "memory_bytes",
                "eta_seconds", "skipped_steps", "perplexity"],
            step.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(180, step.GetProperty("eta_seconds").GetDouble());
        Assert.Equal(Math.Exp(2.5), step.GetProperty("perplexity").GetDouble());

        var status = EventJson.ToElement(new StatusEvent(Noon, "extend", RunStatus.Cancelled));
        Assert.Equal("cancelled", status.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("error").ValueKind);
        Assert.Equal("information", EventJson.ToElement(new LogEvent(Noon, "x", RunLogLevel.Information, "Δ → ok")).GetProperty("level").GetString());
        // Text stays readable on the command line: no \u escapes.
        Assert.Contains("\"Δ → ok\"", EventJson.Serialize(new LogEvent(Noon, "x", RunLogLevel.Information, "Δ → ok")));
    }

    [Fact]
    public void A_number_that_is_not_finite_is_written_as_null_and_reads_back_as_nan()
    {
        // A skipped step: its loss NaN, its gradient norm infinite; JSON can write neither.
        var skipped = new StepEvent(Noon, "extend", 3, 10, double.NaN, 2e-5, double.PositiveInfinity, 1500, 4096, 0, TimeSpan.FromSeconds(7), 1);
        var json = EventJson.ToElement(skipped);
        Assert.Equal([JsonValueKind.Null, JsonValueKind.Null, JsonValueKind.Null],
            new[] { "loss", "grad_norm", "perplexity" }.Select(f => json.GetProperty(f).ValueKind));
        var read = (StepEvent)EventJson.Parse(json.GetRawText());
        Assert.Equal((double.NaN, double.NaN, 2e-5), (read.Loss, read.GradNorm, read.LearningRate));

        var cell = EventJson.Serialize(new EvalEvent(Noon, "eval", Benchmarks.Perplexity, 512, null, Metrics.Perplexity, double.NaN, 4));
        Assert.Contains("\"value\":null", cell);
        Assert.True(double.IsNaN(((EvalEvent)EventJson.Parse(cell)).Value));
    }

    [Fact]
    public void Every_event_type_of_the_contract_has_a_name()
    {
        var contract = typeof(RunEvent).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(RunEvent)) && !t.IsAbstract);
        var named = typeof(RunEvent).GetCustomAttributes<JsonDerivedTypeAttribute>().Select(a => a.DerivedType);

        Assert.Equal(contract.OrderBy(t => t.Name), named.OrderBy(t => t.Name));
    }

    [Fact]
    public void Json_of_another_shape_is_refused()
    {
        Assert.Throws<JsonException>(() => EventJson.Parse("""{"type": "weather", "time": "2026-11-22T12:00:00+00:00", "stage": ""}"""));
        Assert.Throws<JsonException>(() => EventJson.Parse("null"));
    }
}
