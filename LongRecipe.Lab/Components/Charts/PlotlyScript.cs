using Microsoft.JSInterop;

namespace LongRecipe.Lab.Components.Charts;

/// <summary>
/// Loads plotly.js once per page (a circuit) before any chart is drawn. Plotly.Blazor queues the draws of charts
/// made while plotly.js is still loading and runs them when it has loaded; a chart removed meanwhile (a tab
/// switched, a link followed) throws there, and every draw queued after it is lost: charts stay blank. Loading it
/// here first, the way Plotly.Blazor 7.2.0 does (its interop module, then its script under the same id and path),
/// means every chart's draw finds plotly.js ready and a removed chart is skipped.
/// </summary>
public sealed class PlotlyScript(IJSRuntime js)
{
    private const string InteropModule = "./_content/Plotly.Blazor/plotly-interop-7.2.0.js";
    private const string ScriptId = "plotly-import";
    private const string ScriptPath = "./_content/Plotly.Blazor/plotly-3.7.0.min.js";

    private Task? loading;

    /// <summary>Completes once plotly.js has loaded on this page; every chart on the page awaits the same load.</summary>
    public Task LoadAsync() => loading ??= Load();

    private async Task Load()
    {
        await using var interop = await js.InvokeAsync<IJSObjectReference>("import", InteropModule);
        await interop.InvokeVoidAsync("importScript", ScriptId, ScriptPath);
    }
}
