using System.Text;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Pages.RunDashboard;
using LongRecipe.Lab.Queue;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>The Runs page's downloads of a run's exports (the store itself is registered with the run queue).</summary>
public static class RunDownloads
{
    /// <summary>
    /// Per-run downloads: /api/runs/{id}/steps.csv, /api/runs/{id}/evals.csv and /api/runs/{id}/metrics.json
    /// (the engine's <see cref="RunExports"/>), and /api/runs/{id}/report.html (<see cref="RunReport"/>); 404 for an unknown run.
    /// </summary>
    public static IEndpointRouteBuilder MapRunDownloads(this IEndpointRouteBuilder endpoints)
    {
        var runs = endpoints.MapGroup("/api/runs/{id:long}");
        runs.MapGet("/steps.csv", (long id, RunStore store) => Csv(store, id, "steps", RunExports.StepsCsv));
        runs.MapGet("/evals.csv", (long id, RunStore store) => Csv(store, id, "evals", RunExports.EvalsCsv));
        runs.MapGet("/metrics.json", (long id, RunStore store) =>
        {
            if (store.GetRun(id) is null) return RunQueueApi.NoRun(id);
            var json = new MemoryStream();
            RunExports.Json(store, id, json);
            return Results.File(json.ToArray(), "application/json", ExportName(id, "metrics.json"));
        });
        runs.MapGet("/report.html", (long id, RunStore store, IWebHostEnvironment environment) =>
            DashboardState.FromStore(store, id) is { } loaded
                ? Results.Content(RunReport.Html(loaded.Run, loaded.State, store.Evals(id), RunReport.PlotlyScript(environment)), "text/html; charset=utf-8")
                : RunQueueApi.NoRun(id));
        return endpoints;
    }

    /// <summary>The files each run offers for download.</summary>
    public static readonly IReadOnlyList<string> Files = ["steps.csv", "evals.csv", "metrics.json", "report.html"];

    public static string ExportUrl(long id, string file) => $"/api/runs/{id}/{file}";

    // Kestrel refuses synchronous writes to the response, and the store writes synchronously: export to memory first.
    private static IResult Csv(RunStore store, long id, string what, Action<RunStore, long, TextWriter> export)
    {
        if (store.GetRun(id) is null) return RunQueueApi.NoRun(id);
        var text = new StringWriter();
        export(store, id, text);
        return Results.File(Encoding.UTF8.GetBytes(text.ToString()), "text/csv", ExportName(id, $"{what}.csv"));
    }

    private static string ExportName(long id, string file) => $"run-{id}-{file}";
}
