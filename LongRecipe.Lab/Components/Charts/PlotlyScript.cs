using Microsoft.JSInterop;

namespace LongRecipe.Lab.Components.Charts;

/// <summary>
/// Loads plotly.js once per page (a circuit) before any chart is drawn, then the Lab's live-chart module
/// (wwwroot/liveChart.js), which appends to live charts through it. Plotly.Blazor queues the draws of charts
/// made while plotly.js is still loading and runs them when it has loaded; a chart removed meanwhile (a tab
/// switched, a link followed) throws there, and every draw queued after it is lost: charts stay blank. Loading it
/// here first, the way Plotly.Blazor 7.2.0 does (its interop module, then its script under the same id and path),
/// means every chart's draw finds plotly.js ready and a removed chart is skipped.
/// </summary>
public sealed class PlotlyScript(IJSRuntime js) : IAsyncDisposable
{
    private const string InteropModule = "./_content/Plotly.Blazor/plotly-interop-7.2.0.js";
    private const string ScriptId = "plotly-import";
    private const string ScriptPath = "./_content/Plotly.Blazor/plotly-3.7.0.min.js";
    public const string LiveChartModule = "./liveChart.js";

    private Task<IJSObjectReference>? loading;

    /// <summary>Completes once plotly.js and the live-chart module have loaded on this page; every chart on the page awaits the same load.</summary>
    public Task<IJSObjectReference> LoadAsync() => loading ??= Load();

    private async Task<IJSObjectReference> Load()
    {
        await using (var interop = await js.InvokeAsync<IJSObjectReference>("import", InteropModule))
            await interop.InvokeVoidAsync("importScript", ScriptId, ScriptPath);
        return await js.InvokeAsync<IJSObjectReference>("import", LiveChartModule);
    }

    public async ValueTask DisposeAsync()
    {
        if (loading is not { IsCompletedSuccessfully: true }) return;
        try
        {
            await loading.Result.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
        }
    }
}
