using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace LongRecipe.LabBench;

/// <summary>
/// Where a page's main thread spends its time: V8's sampling profiler (Chrome DevTools Protocol) over a stretch, each
/// sample's time charged to the script its function came from (plotly.js, blazor.web.js, MudBlazor…) or to V8's own
/// buckets: "(program)" is the browser's work outside JavaScript (layout, paint, message handling), "(idle)" is free time.
/// </summary>
public static class BrowserProfile
{
    public sealed record Share(string Script, double Milliseconds, double Fraction);

    public static async Task<IReadOnlyList<Share>> TakeAsync(IPage page, TimeSpan stretch, CancellationToken cancel)
    {
        var session = await page.Context.NewCDPSessionAsync(page);
        try
        {
            await session.SendAsync("Profiler.enable");
            await session.SendAsync("Profiler.start");
            await Task.Delay(stretch, cancel);
            var result = await session.SendAsync("Profiler.stop") ?? throw new InvalidOperationException("Profiler.stop returned nothing");
            return Shares(result.GetProperty("profile"));
        }
        finally
        {
            await session.DetachAsync();
        }
    }

    private static IReadOnlyList<Share> Shares(JsonElement profile)
    {
        var nodes = profile.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetInt64());
        var parentOf = new Dictionary<long, long>();
        foreach (var (id, node) in nodes)
            if (node.TryGetProperty("children", out var children))
                foreach (var child in children.EnumerateArray()) parentOf[child.GetInt64()] = id;
        var scriptOf = new Dictionary<long, string>();
        // A function without a script (a DOM or builtin call) is charged to the script that called it.
        string ScriptOf(long id)
        {
            if (scriptOf.TryGetValue(id, out var known)) return known;
            var frame = nodes[id].GetProperty("callFrame");
            var url = frame.GetProperty("url").GetString() ?? "";
            var name = frame.GetProperty("functionName").GetString() ?? "";
            return scriptOf[id] = url.Length > 0 ? ScriptName(url)
                : name.StartsWith('(') ? name
                : parentOf.TryGetValue(id, out var parent) ? ScriptOf(parent) : "(native)";
        }
        var samples = profile.GetProperty("samples").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        var deltas = profile.GetProperty("timeDeltas").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var micros = new Dictionary<string, double>();
        // A delta is the time before its sample; it is charged to the sample before it, which was running then.
        for (var i = 1; i < samples.Length; i++)
        {
            var script = ScriptOf(samples[i - 1]);
            micros[script] = micros.GetValueOrDefault(script) + deltas[i];
        }
        var total = micros.Values.Sum();
        return [.. micros.OrderByDescending(p => p.Value).Select(p => new Share(p.Key, p.Value / 1000, total > 0 ? p.Value / total : 0))];
    }

    /// <summary>The script's file name without a version or query, e.g. "plotly-3.7.0.min.js" or "blazor.web.js".</summary>
    private static string ScriptName(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url;
        return Path.GetFileName(path) is { Length: > 0 } file ? file : path;
    }

    public static void Print(IReadOnlyList<Share> shares, TimeSpan stretch)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| where viewer 1's main thread spent {stretch.TotalSeconds:F0} s | ms | share |"));
        Console.WriteLine("| --- | --- | --- |");
        foreach (var share in shares.Take(12))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {share.Script} | {share.Milliseconds:F0} | {share.Fraction:P1} |"));
    }
}
