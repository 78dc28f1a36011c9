using System.Globalization;
using System.Text.Json;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace LongRecipe.Engine.Tests.Runs;

/// <summary>The exports carry every field of the events, under the names and with the values of their JSON.</summary>
public sealed class RunExportsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private readonly TempFolder folder = new();
    private readonly RunStore store;
    private readonly long id;

    public RunExportsTests()
    {
        store = RunStore.Open(folder.File("runs.db"));
        id = store.CreateRun(RunPresets.Pose(), folder.File("run"), T0);
        store.Append(id, [
            new StepEvent(T0.AddSeconds(1), "extend", 1, 10, 5.0, 1e-3, 0.5, 100, 64, 1 << 20, TimeSpan.FromSeconds(9), 0),
            new StepEvent(T0.AddSeconds(2), "extend", 2, 10, 4.0, 1e-3, 0.5, 100, 128, 1 << 20, TimeSpan.FromSeconds(8), 1),
            new EvalEvent(T0.AddSeconds(4), "eval", Benchmarks.Niah, 512, 50, Metrics.Accuracy, 0.75, 4),
            new EvalEvent(T0.AddSeconds(4), "eval", Benchmarks.Perplexity, 512, null, Metrics.Perplexity, 12.5, 4),
        ]);
    }

    public void Dispose()
    {
        store.Dispose();
        SqliteConnection.ClearAllPools();
        folder.Dispose();
    }

    [Fact]
    public void Steps_csv_has_every_field_of_the_step_json_in_its_order()
    {
        var csv = new StringWriter();
        RunExports.StepsCsv(store, id, csv);
        var lines = csv.ToString().TrimEnd().Split(Environment.NewLine);

        Assert.Equal(3, lines.Length);
        Assert.Equal("time,stage,step,total_steps,loss,learning_rate,grad_norm,tokens_per_second,tokens,memory_bytes,eta_seconds,skipped_steps,perplexity", lines[0]);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"2026-11-22T08:00:02+00:00,extend,2,10,4,0.001,0.5,100,128,1048576,8,1,{Math.Exp(4):R}"), lines[2]);
        var json = EventJson.ToElement(store.Steps(id)[1]);
        Assert.Equal(lines[0].Split(','), json.EnumerateObject().Skip(1).Select(p => p.Name));
    }

    [Fact]
    public void Evals_csv_leaves_a_missing_depth_empty()
    {
        var csv = new StringWriter();
        RunExports.EvalsCsv(store, id, csv);
        Assert.Equal(
            ["time,stage,benchmark,context_length,depth,metric,value,samples",
                "2026-11-22T08:00:04+00:00,eval,niah,512,50,accuracy,0.75,4",
                "2026-11-22T08:00:04+00:00,eval,perplexity,512,,perplexity,12.5,4"],
            csv.ToString().TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public void Text_with_a_comma_or_a_quote_is_quoted()
    {
        var other = store.CreateRun(RunPresets.Pose(), folder.File("other"), T0);
        store.Append(other, new StepEvent(T0, "a,\"b\"", 1, 1, 1, 1, 1, 1, 1, 1, TimeSpan.Zero, 0));
        var csv = new StringWriter();
        RunExports.StepsCsv(store, other, csv);
        Assert.StartsWith("2026-11-22T08:00:00+00:00,\"a,\"\"b\"\"\",1,", csv.ToString().Split(Environment.NewLine)[1]);
    }

    [Fact]
    public void Json_holds_the_steps_and_evals_as_events()
    {
        var stream = new MemoryStream();
        RunExports.Json(store, id, stream);
        using var exported = JsonDocument.Parse(stream.ToArray());

        var steps = exported.RootElement.GetProperty("steps");
        Assert.Equal(store.Steps(id), steps.EnumerateArray().Select(s => EventJson.Parse(s.GetRawText())));
        Assert.Equal(4.0, steps[1].GetProperty("loss").GetDouble());
        Assert.Equal("eval", exported.RootElement.GetProperty("evals")[1].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, exported.RootElement.GetProperty("evals")[1].GetProperty("depth").ValueKind);
    }
}
