using System.Net.Http.Json;
using System.Text.Json;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Recipes;
using Microsoft.AspNetCore.SignalR.Client;

namespace LongRecipe.LabBench;

/// <summary>
/// A running Lab from outside, as any client sees it: runs queued over HTTP (POST /api/runs) and their events
/// followed through the SignalR hub /hubs/runs (Join(runId), then runEvent(runId, event) in the event JSON).
/// </summary>
public sealed class LabClient(Uri lab) : IAsyncDisposable
{
    private readonly HttpClient http = new() { BaseAddress = lab };
    private HubConnection? hub;

    /// <summary>Waits until the Lab answers at all (it may still be starting).</summary>
    public async Task WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/", cancel);
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(500, cancel);
            }
        }
    }

    /// <summary>Queues <paramref name="spec"/>; the Lab's problems with it, each at its JSON path, come back as an exception.</summary>
    public async Task<long> QueueAsync(RunSpec spec, CancellationToken cancel)
    {
        using var response = await http.PostAsync("/api/runs", new StringContent(spec.ToJson(), System.Text.Encoding.UTF8, "application/json"), cancel);
        var body = await response.Content.ReadAsStringAsync(cancel);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"the Lab refused the run ({(int)response.StatusCode}): {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    /// <summary>The run's status as the Lab's store has it, e.g. Running.</summary>
    public async Task<string> StatusAsync(long runId, CancellationToken cancel) =>
        (await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", cancel)).GetProperty("status").GetString()!;

    /// <summary>Calls <paramref name="onEvent"/> (on the hub's thread) with every event of run <paramref name="runId"/> from now on.</summary>
    public async Task FollowAsync(long runId, Action<RunEvent> onEvent, CancellationToken cancel)
    {
        hub = new HubConnectionBuilder().WithUrl(new Uri(http.BaseAddress!, "/hubs/runs")).Build();
        hub.On<string, JsonElement>("runEvent", (_, e) => onEvent(EventJson.Parse(e.GetRawText())));
        await hub.StartAsync(cancel);
        await hub.InvokeAsync("Join", runId.ToString(System.Globalization.CultureInfo.InvariantCulture), cancel);
    }

    public async ValueTask DisposeAsync()
    {
        if (hub is not null) await hub.DisposeAsync();
        http.Dispose();
    }
}
