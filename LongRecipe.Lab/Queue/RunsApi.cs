using LongRecipe.Engine.Recipes;

namespace LongRecipe.Lab.Queue;

/// <summary>
/// POST /api/runs: queues the run spec in the body (JSON, as the Train page's JSON tab writes it) and answers
/// 201 {"run": id}, or 400 {"problems": [{"path", "message"}]} naming each field; for scripts and the load benchmark.
/// Behind the Lab's security gate like every route: a page elsewhere cannot post here.
/// </summary>
public static class RunsApi
{
    public const string Path = "/api/runs";

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, async (HttpRequest request, RunQueue queue) =>
        {
            using var body = new StreamReader(request.Body);
            try
            {
                var id = await queue.EnqueueAsync(RunSpec.Parse(await body.ReadToEndAsync()));
                return Results.Created($"/runs/{id}", new { run = id });
            }
            catch (RunSpecException e)
            {
                return Results.BadRequest(new { problems = e.Problems.Select(p => new { path = p.Path, message = p.Message }) });
            }
        });
        return endpoints;
    }
}
