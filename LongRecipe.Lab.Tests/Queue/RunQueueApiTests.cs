using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Lab.Queue;
using LongRecipe.Tests.Support;

namespace LongRecipe.Lab.Tests.Queue;

/// <summary>POST /api/runs on the built Lab: a bad spec is answered with its problems at their fields; a good one runs.</summary>
public sealed class RunQueueApiTests(LabProcess lab) : IClassFixture<LabProcess>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string json)
    {
        using var response = await lab.Http.PostAsync("/api/runs", new StringContent(json, Encoding.UTF8, "application/json"), Cancel);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(Cancel));
    }

    [Fact]
    public async Task A_bad_spec_gets_its_problems_at_their_fields_and_a_good_one_runs()
    {
        var (status, body) = await Post("""{"name": "x", "target_length": 512, "native_length": 256, "stages": [{"kind": "extend", "transform": {"scheme": "pose"}, "sequence_length": 128, "learning_rate": 1e400}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal([("stages[0].learning_rate", "must be a finite number, got 1e400")],
            body.GetProperty("problems").EnumerateArray().Select(p => (p.GetProperty("path").GetString(), p.GetProperty("message").GetString())));

        var spec = RunPresets.Pose() with
        {
            Name = "api", TargetLength = 512, Data = new DataSpec(Documents: 1),
            Stages = [new ExtendStage(new TransformSpec(PositionScheme.Pose), SequenceLength: 128, Steps: 2, MicroBatchSize: 1)],
            Eval = new EvalSpec(),
        };
        (status, body) = await Post(spec.ToJson());
        Assert.Equal(HttpStatusCode.Created, status);
        var id = body.GetProperty("id").GetInt64();
        await ProgressWait.Until(async () =>
        {
            var csv = await lab.Http.GetStringAsync($"/api/runs/{id}/steps.csv", Cancel);
            return csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 3 ? null : "fewer than 2 steps stored";
        }, lab.Progress, "the run's two steps", Cancel);
    }
}
