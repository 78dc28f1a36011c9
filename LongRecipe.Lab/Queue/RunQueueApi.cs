using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Lab.Queue;

/// <summary>
/// The run queue over HTTP, for clients outside the Lab (a script on a GPU machine, a notebook): POST /api/runs with
/// a run spec as JSON (as the Train page's JSON tab and <c>./longrecipe run FILE</c> read it) queues it and answers
/// 201 with {"id": N}; a spec with problems answers 400 with {"problems": [{"path", "message"}]}. GET /api/runs/{id}
/// answers the run's status. Its events stream through the SignalR hub (<see cref="Live.RunsHub"/>).
/// </summary>
public static class RunQueueApi
{
    public sealed record Queued(long Id);

    public sealed record Problem(string Path, string Message);

    public sealed record Refused(IReadOnlyList<Problem> Problems);

    public sealed record RunStatusReply(long Id, string Name, string Status, string Device, string? Error, string Folder);

    public sealed record NotFoundReply(string Error);

    /// <summary>404 for a run the store does not have, as JSON like every other answer of the API.</summary>
    public static IResult NoRun(long id) => Results.NotFound(new NotFoundReply($"There is no run {id}."));

    public static IEndpointRouteBuilder MapRunQueueApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/runs", async (HttpRequest request, RunQueue queue) =>
        {
            string json;
            try
            {
                using var reader = new StreamReader(request.Body);
                json = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
            }
            catch (BadHttpRequestException e)
            {
                // Kestrel's limit on a body (30 MB) and the like: the client's fault, answered as a refusal, not a 500.
                return Results.Json(new Refused([new Problem("", e.Message)]), statusCode: e.StatusCode);
            }
            if (string.IsNullOrWhiteSpace(json))
                return Results.BadRequest(new Refused([new Problem("", "the request body is empty; send a run spec as JSON")]));
            try
            {
                // The spec's shape and rules are named in one answer with what the machine lacks for it.
                var (spec, found) = RunSpec.ParseWithProblems(json, "request body");
                // Creating the run reads the model's headers and writes its record: off the request's thread.
                var id = await Task.Run(() => queue.EnqueueAsync(spec, found));
                return Results.Created($"/api/runs/{id}", new Queued(id));
            }
            catch (RunSpecException e)
            {
                return Results.BadRequest(new Refused([.. e.Problems.Select(p => new Problem(p.Path, p.Message))]));
            }
        });
        endpoints.MapGet("/api/runs/{id:long}", (long id, RunStore store) =>
            store.GetRun(id) is { } run
                ? Results.Ok(new RunStatusReply(run.Id, run.Name, run.Status.ToString(), run.Device, run.Error, run.Folder))
                : NoRun(id));
        // Below /api a path no endpoint takes (/api/runs/abc) is answered in JSON too, not with the Lab's 404 page.
        endpoints.MapFallback("/api/{**path}", (string path) =>
            Results.NotFound(new NotFoundReply($"/api/{path} is not an endpoint of the Lab's API (POST /api/runs, GET /api/runs/{{id}} and its downloads)")));
        return endpoints;
    }
}
