using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
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

    [Fact]
    public async Task A_body_that_is_empty_too_large_or_names_a_model_outside_the_import_folders_is_refused_as_such()
    {
        var (status, body) = await Post("");
        Assert.Equal((HttpStatusCode.BadRequest, "the request body is empty; send a run spec as JSON"),
            (status, body.GetProperty("problems")[0].GetProperty("message").GetString()));

        // Past Kestrel's 30 MB a request body is refused with 413 and a problem, not a 500 error page. The request says
        // its length and the answer comes before the body is sent (a client still sending would see the connection close).
        var port = new Uri(lab.Url).Port;
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", port, Cancel);
            await using var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: 31000000\r\n\r\n{{"), Cancel);
            var answer = await new StreamReader(stream).ReadLineAsync(Cancel);
            Assert.Equal("HTTP/1.1 413 Payload Too Large", answer);
        }

        // A model folder outside the data directory and the import folders is refused, as an import of it would be.
        var outside = Directory.CreateTempSubdirectory("lab-outside-").FullName;
        try
        {
            var spec = RunPresets.Pose() with { Model = outside, NativeLength = null, TargetLength = 512 };
            (status, body) = await Post(spec.ToJson());
            Assert.Equal(HttpStatusCode.BadRequest, status);
            var problem = Assert.Single(body.GetProperty("problems").EnumerateArray());
            Assert.Equal("model", problem.GetProperty("path").GetString());
            Assert.StartsWith($"{outside} is outside the folders the Lab reads models from", problem.GetProperty("message").GetString());
        }
        finally
        {
            Directory.Delete(outside);
        }
    }

    [Fact]
    public async Task Corpus_paths_that_name_no_place_or_lead_elsewhere_are_refused_at_their_field_not_answered_500()
    {
        var corpora = Directory.CreateDirectory(Path.Combine(lab.DataDirectory, "probe-corpora")).FullName;
        File.CreateSymbolicLink(Path.Combine(corpora, "loop-a.txt"), Path.Combine(corpora, "loop-b.txt"));
        File.CreateSymbolicLink(Path.Combine(corpora, "loop-b.txt"), Path.Combine(corpora, "loop-a.txt"));
        var outside = Directory.CreateTempSubdirectory("lab-outside-").FullName;
        // Relative to the Lab's working folder (it starts in the temporary folder), not to the root its checks read against.
        var cwdModels = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "models")).FullName;
        var relative = $"probe-{Guid.NewGuid():N}.txt";
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret.txt"), "not the Lab's to read");
            File.WriteAllText(Path.Combine(cwdModels, relative), "not the Lab's to read");
            Directory.CreateSymbolicLink(Path.Combine(corpora, "elsewhere"), outside);
            foreach (var (corpus, message) in new[]
                     {
                         ("a\0b.txt", "must not hold a NUL character (no path does)"),
                         (Path.Combine(corpora, "loop-a.txt"), $"{Path.Combine(corpora, "loop-a.txt")}: more than 40 symbolic links on the way, or a loop of them"),
                         (Path.Combine(corpora, "elsewhere", "secret.txt"), $"{Path.Combine(corpora, "elsewhere", "secret.txt")} is outside the folders the Lab reads corpora from"),
                         ($"models/{relative}", $"/models/{relative}: no such file or folder"),
                     })
            {
                var spec = RunPresets.Pose() with { TargetLength = 512, Data = new DataSpec(Corpus: corpus) };
                var (status, body) = await Post(spec.ToJson());
                Assert.Equal(HttpStatusCode.BadRequest, status);
                var problem = Assert.Single(body.GetProperty("problems").EnumerateArray());
                Assert.Equal("data.corpus", problem.GetProperty("path").GetString());
                Assert.Contains(message, problem.GetProperty("message").GetString());
            }
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
            File.Delete(Path.Combine(cwdModels, relative));
        }
        // The Lab still serves.
        using var answer = await lab.Http.GetAsync("/api/runs/99999999", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }

    /// <summary>
    /// A model folder in the data directory whose weights file lost its last byte used to be queued, its run failing once
    /// training began. With a bad rule and a missing corpus beside it, the spec is refused in one 400 naming each at its
    /// field, the weights by file and tensor; the store holds no run of it and the Lab serves on.
    /// </summary>
    [Fact]
    public async Task Damaged_weights_a_bad_rule_and_a_missing_corpus_are_refused_in_one_answer_leaving_no_run()
    {
        var workspace = new Workspace(Workspace.LocateRoot(), lab.DataDirectory);
        var model = Directory.CreateDirectory(Path.Combine(lab.DataDirectory, "damaged-model")).FullName;
        foreach (var file in Directory.GetFiles(workspace.BuiltinModel)) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var weights = Path.Combine(model, "model.safetensors");
        using (var stream = File.OpenWrite(weights)) stream.SetLength(stream.Length - 1);
        var corpus = Path.Combine(lab.DataDirectory, "gone.jsonl");
        var spec = RunPresets.Pose() with
        {
            Name = "damaged-weights", Model = model, NativeLength = null, TargetLength = 512, Data = new DataSpec(Corpus: corpus),
            Stages = [new ExtendStage(new TransformSpec(PositionScheme.Pose), SequenceLength: 128, Steps: 2, MicroBatchSize: 1, LearningRate: 0)],
            Eval = new EvalSpec(),
        };

        var (status, body) = await Post(spec.ToJson());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var problems = body.GetProperty("problems").EnumerateArray()
            .Select(p => new SpecProblem(p.GetProperty("path").GetString()!, p.GetProperty("message").GetString()!)).ToList();
        Assert.Equal(["stages[0].learning_rate", "data.corpus", "model"], problems.Select(p => p.Path));
        Assert.Equal($"{corpus}: no such file or folder", problems[1].Message);
        Assert.StartsWith($"{weights}: tensor 'model.norm.weight': data_offsets", problems[2].Message);
        using (var store = RunStore.Open(workspace.StoreFile))
            Assert.DoesNotContain(store.ListRuns(), r => r.Name == spec.Name);
        using var answer = await lab.Http.GetAsync("/api/runs/99999999", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }

    [Fact]
    public async Task Unknown_runs_and_paths_under_the_api_are_answered_in_json()
    {
        foreach (var (path, error) in new[]
                 {
                     ("/api/runs/99999999", "There is no run 99999999."),
                     ("/api/runs/99999999/steps.csv", "There is no run 99999999."),
                     ("/api/runs/abc", "/api/runs/abc is not an endpoint of the Lab's API (POST /api/runs, GET /api/runs/{id} and its downloads)"),
                 })
        {
            using var response = await lab.Http.GetAsync(path, Cancel);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(error, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetString());
        }
    }
}
