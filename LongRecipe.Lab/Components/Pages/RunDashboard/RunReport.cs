using System.Globalization;
using System.Net;
using System.Text;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Components.Charts;
using LongRecipe.Lab.Components.Pages.Runs;

namespace LongRecipe.Lab.Components.Pages.RunDashboard;

/// <summary>
/// A run on one self-contained HTML page: its spec, status and times, every chart of its dashboard (drawn by the
/// plotly.js given, inlined so the file opens anywhere), its evaluation as tables and its log's tail.
/// </summary>
public static class RunReport
{
    /// <summary>The report of <paramref name="run"/>, folded into <paramref name="state"/>, with its eval cells <paramref name="evals"/>.</summary>
    public static string Html(RunRecord run, DashboardState state, IReadOnlyList<EvalEvent> evals, string plotlyJs)
    {
        var charts = new List<(string Name, ChartFigure Figure)>();
        if (state.SearchStages.Count > 0) charts.Add((DashboardFigures.SearchChart, DashboardFigures.SearchFigure(state)));
        if (state.Trains) charts.AddRange(DashboardFigures.StepCharts.Select(c => (c, DashboardFigures.StepFigure(state, c))));
        charts.AddRange(DashboardFigures.EvalFigures(state));
        var results = EvalResults.From(evals);

        var html = new StringBuilder();
        string E(string text) => WebUtility.HtmlEncode(text);
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(run.Name)}} · run #{{run.Id}}</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #303030; }
            table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; } th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.7rem; text-align: right; }
            th:first-child, td:first-child { text-align: left; } pre { background: #f5f5f5; padding: 0.75rem; overflow: auto; font-size: 0.8rem; }
            .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(32rem, 1fr)); gap: 1rem; }
            </style>
            <script>{{plotlyJs}}</script></head><body>
            <h1>{{E(run.Name)}} · run #{{run.Id}}</h1>
            <p>{{E(run.Status.ToString())}} on {{E(run.Device)}}; created {{RunFormat.Day(run.Created)}} {{RunFormat.ClockTime(run.Created)}} UTC;
            duration {{RunFormat.Duration(RunRow.Elapsed(run, DateTimeOffset.UtcNow))}}; stages {{E(string.Join(" → ", run.Spec.StageNames.Append(RecipeRunner.EvalStage)))}}.</p>
            {{(run.Error is { } error ? $"<p><b>Error:</b> {E(error)}</p>" : "")}}
            <h2>Charts</h2><div class="charts">
            """);
        foreach (var (name, figure) in charts)
            html.Append(CultureInfo.InvariantCulture, $"""<div id="chart-{name}" data-chart="{name}"></div>""").Append('\n');
        html.Append("</div>\n<h2>Evaluation</h2>\n");
        AppendTable(html, "Passkey accuracy", results.PasskeyAccuracy.Select(a => (a.Length.ToString(CultureInfo.InvariantCulture), RunFormat.Accuracy(a.Value))));
        AppendTable(html, "Perplexity", results.Perplexity.Select(a => (a.Length.ToString(CultureInfo.InvariantCulture), RunFormat.Perplexity(a.Value))));
        AppendTable(html, "Needle accuracy (mean over depths)", results.NeedleAccuracy.Keys.Select(k => k.Length).Distinct().Order()
            .Select(l => (l.ToString(CultureInfo.InvariantCulture), RunFormat.Accuracy(results.MeanNeedleAccuracy(l)))));
        AppendTable(html, "Short-context perplexity", [("base model", RunFormat.Perplexity(results.ShortPerplexityBase)), ("final model", RunFormat.Perplexity(results.ShortPerplexityFinal))]);
        html.Append(CultureInfo.InvariantCulture, $"<h2>Spec</h2>\n<pre>{E(run.Spec.ToJson())}</pre>\n<h2>Log (last {DashboardState.LogLines} lines)</h2>\n<pre>");
        foreach (var line in state.Log) html.Append(CultureInfo.InvariantCulture, $"{line.Time.UtcDateTime:HH:mm:ss} [{E(line.Stage)}] {E(line.Message)}\n");
        html.Append("</pre>\n<script>\n");
        foreach (var (name, figure) in charts)
        {
            var json = figure.ToPlotly().ToJson();
            html.Append(CultureInfo.InvariantCulture,
                $"Plotly.newPlot('chart-{name}', {json.GetProperty("data").GetRawText()}, {json.GetProperty("layout").GetRawText()}, {{ displaylogo: false }});\n");
        }
        return html.Append("</script></body></html>\n").ToString();
    }

    /// <summary>plotly.js as Plotly.Blazor ships it (its full, not its basic, bundle), read from the Lab's static web assets.</summary>
    public static string PlotlyScript(IWebHostEnvironment environment)
    {
        var folder = environment.WebRootFileProvider.GetDirectoryContents("_content/Plotly.Blazor");
        var script = folder.FirstOrDefault(f => f.Name.StartsWith("plotly-", StringComparison.Ordinal) && f.Name.EndsWith(".min.js", StringComparison.Ordinal)
                                                && !f.Name.StartsWith("plotly-basic", StringComparison.Ordinal))
                     ?? throw new FileNotFoundException("The Lab's static web assets hold no _content/Plotly.Blazor/plotly-*.min.js.");
        using var reader = new StreamReader(script.CreateReadStream());
        return reader.ReadToEnd();
    }

    private static void AppendTable(StringBuilder html, string title, IEnumerable<(string Key, string Value)> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0) return;
        html.Append(CultureInfo.InvariantCulture, $"<h3>{WebUtility.HtmlEncode(title)}</h3><table>");
        foreach (var (key, value) in list) html.Append(CultureInfo.InvariantCulture, $"<tr><td>{key}</td><td>{value}</td></tr>");
        html.Append("</table>\n");
    }
}
