using System.Globalization;
using System.Text;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;

namespace LongRecipe.Engine.Experiments;

/// <summary>
/// An experiment's results as files a README can show: results.json (every estimate and run), results.md
/// (the methods table with 95% intervals, the learning-rate selection, each run's cost, the claims judged) and
/// SVG charts by context length (passkey and needle accuracy, perplexity). Written atomically, file by file.
/// </summary>
public static class ExperimentReport
{
    public static IReadOnlyList<string> Write(ExperimentSpec spec, ExperimentResults results, string folder)
    {
        Directory.CreateDirectory(folder);
        var lengths = Lengths(spec.Eval);
        var categories = lengths.Select(l => l.ToString(CultureInfo.InvariantCulture)).ToList();
        ChartSeries Series(MethodResult m, string benchmark, string metric) =>
            new(m.Method, [.. lengths.Select(l => m.Get(benchmark, l, metric))]);
        var measured = results.Methods.Where(m => m.Runs > 0).ToList();

        var files = new Dictionary<string, string>
        {
            ["results.json"] = results.ToJson(),
            ["results.md"] = Markdown(spec, results, lengths),
            ["passkey.svg"] = SvgChart.Render("Passkey retrieval by context length", "context length (tokens)", "accuracy", categories,
                [.. measured.Select(m => Series(m, Benchmarks.Passkey, "accuracy"))], yMin: 0, yMax: 1),
            ["needles.svg"] = SvgChart.Render("Needle retrieval by context length (all depths pooled)", "context length (tokens)", "accuracy",
                categories, [.. measured.Select(m => Series(m, Benchmarks.Niah, "accuracy"))], yMin: 0, yMax: 1),
            ["perplexity.svg"] = SvgChart.Render("Perplexity of held-out documents by context length", "context length (tokens)", "perplexity",
                categories, [.. measured.Select(m => Series(m, Benchmarks.Perplexity, "perplexity"))], logY: true),
        };
        foreach (var (name, text) in files)
            AtomicFile.Write(Path.Combine(folder, name), stream => stream.Write(Encoding.UTF8.GetBytes(text)));
        return [.. files.Keys.Select(name => Path.Combine(folder, name))];
    }

    /// <summary>Every length the final evaluation measures, in order.</summary>
    private static List<int> Lengths(EvalSpec eval) =>
        [.. (eval.Passkey?.Lengths ?? []).Concat(eval.Niah?.Lengths ?? []).Concat(eval.Perplexity?.Lengths ?? []).Distinct().Order()];

    public static string Markdown(ExperimentSpec spec, ExperimentResults results, IReadOnlyList<int> lengths)
    {
        var target = spec.Methods[0].TargetLength;
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {spec.Name}")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Seeds {string.Join(", ", spec.Seeds)}; target window {target}.")
            .AppendLine("Means with 95% intervals: accuracies pool every sample of every seed (Wilson), perplexities and costs are means over")
            .AppendLine("seeds (Student's t); a value without an interval comes from one run.")
            .AppendLine();

        string Cells(MethodResult m, string benchmark, string metric) =>
            string.Join(" | ", lengths.Select(l => PaperClaims.Show(m.Get(benchmark, l, metric))));
        var header = string.Join(" | ", lengths);
        var rule = string.Join("|", lengths.Select(_ => "---"));
        foreach (var (title, benchmark, metric) in new[]
                 {
                     ("Passkey accuracy", Benchmarks.Passkey, "accuracy"), ("Needle accuracy (all depths)", Benchmarks.Niah, "accuracy"),
                     ("Perplexity of held-out documents", Benchmarks.Perplexity, "perplexity"),
                 })
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {title} by context length").AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"| method | runs | {header} |")
                .AppendLine(CultureInfo.InvariantCulture, $"|---|---|{rule}|");
            foreach (var m in results.Methods)
                md.AppendLine(CultureInfo.InvariantCulture, $"| {m.Method} | {m.Runs} | {Cells(m, benchmark, metric)} |");
            md.AppendLine();
        }

        md.AppendLine("## Short-context perplexity and cost").AppendLine()
            .AppendLine("| method | peak lr | short ppl before (the run's base) | short ppl after | training tokens | training seconds |")
            .AppendLine("|---|---|---|---|---|---|");
        foreach (var m in results.Methods)
        {
            Estimate? Short(string stage) => m.Cells.FirstOrDefault(c => c.Stage == stage && c.Benchmark == Benchmarks.ShortPerplexity)?.Estimate;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {m.Method} | {(m.LearningRate is { } lr ? ExperimentPlan.Format(lr) : "—")} | {PaperClaims.Show(Short(RecipeRunner.BaseStage))} | {PaperClaims.Show(Short(RecipeRunner.EvalStage))} | {Tokens(m.TrainingTokens)} | {PaperClaims.Show(m.TrainingSeconds)} |");
        }
        md.AppendLine();

        if (results.Selection.Count > 0 && results.Criterion is { } criterion)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## Learning rate, chosen on validation data ({criterion.Benchmark} {criterion.Metric} at {criterion.ContextLength}, seed {spec.Seeds[0]})")
                .AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"| method | {string.Join(" | ", spec.LearningRates.Order().Select(ExperimentPlan.Format))} |")
                .AppendLine(CultureInfo.InvariantCulture, $"|---|{string.Join("|", spec.LearningRates.Select(_ => "---"))}|");
            foreach (var method in results.Selection.GroupBy(r => r.Method))
                md.AppendLine(CultureInfo.InvariantCulture, $"| {method.Key} | {string.Join(" | ", method.OrderBy(r => r.LearningRate).Select(r =>
                    r.Value is { } v ? (r.Chosen ? $"**{v:G4}**" : v.ToString("G4", CultureInfo.InvariantCulture)) : "failed"))} |");
            md.AppendLine();
        }

        md.AppendLine("## The papers' claims").AppendLine();
        foreach (var verdict in PaperClaims.Judge(results, target))
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{verdict.Claim}: {verdict.Verdict}.** {verdict.Evidence}");
        md.AppendLine();

        md.AppendLine("## Every run").AppendLine()
            .AppendLine("| run | method | role | seed | peak lr | status | training tokens | training s | total s |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results.Runs.OrderBy(r => r.RunId))
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.RunId} | {r.Method} | {r.Role.ToString().ToLowerInvariant()} | {r.Seed} | {(r.LearningRate is { } lr ? ExperimentPlan.Format(lr) : "—")} | {r.Status.ToString().ToLowerInvariant()} | {r.TrainingTokens:N0} | {r.TrainingSeconds:F1} | {r.TotalSeconds:F1} |");
        return md.ToString();
    }

    private static string Tokens(Estimate? e) => e is null ? "—" : e.Value.ToString("N0", CultureInfo.InvariantCulture);
}
