using System.Text;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>The run store's export downloads (the store itself is registered with the run queue).</summary>
public static class RunExports
{
    /// <summary>
    /// Per-run downloads: /api/runs/{id}/steps.csv, /api/runs/{id}/evals.csv and /api/runs/{id}/metrics.json
    /// (the store's exports; 404 for an unknown run).
    /// </summary>
    public static IEndpointRouteBuilder MapRunExports(this IEndpointRouteBuilder endpoints)
    {
        var runs = endpoints.MapGroup("/api/runs/{id:long}");
        runs.MapGet("/steps.csv", (long id, RunStore store) => Csv(store, id, "steps", store.ExportStepsCsv));
        runs.MapGet("/evals.csv", (long id, RunStore store) => Csv(store, id, "evals", store.ExportEvalsCsv));
        runs.MapGet("/metrics.json", (long id, RunStore store) =>
        {
            if (store.GetRun(id) is null) return NoRun(id);
            var json = new MemoryStream();
            store.ExportJson(id, json);
            return Results.File(json.ToArray(), "application/json", ExportName(id, "metrics.json"));
        });
        return endpoints;
    }

    public static string ExportUrl(long id, string file) => $"/api/runs/{id}/{file}";

    // Kestrel refuses synchronous writes to the response, and the store writes synchronously: export to memory first.
    private static IResult Csv(RunStore store, long id, string what, Action<long, TextWriter> export)
    {
        if (store.GetRun(id) is null) return NoRun(id);
        var text = new StringWriter();
        export(id, text);
        return Results.File(Encoding.UTF8.GetBytes(text.ToString()), "text/csv", ExportName(id, $"{what}.csv"));
    }

    private static string ExportName(long id, string file) => $"run-{id}-{file}";

    private static IResult NoRun(long id) => Results.NotFound($"There is no run {id}.");
}
