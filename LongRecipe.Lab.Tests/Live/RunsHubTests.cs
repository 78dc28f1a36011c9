using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using LongRecipe.Engine.Events;
using LongRecipe.Lab.Live;
using LongRecipe.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongRecipe.Lab.Tests.Live;

/// <summary>
/// /hubs/runs as an outside client sees it: a raw WebSocket speaking SignalR's JSON protocol
/// (Microsoft.AspNetCore.SignalR.Client does not restore from the registry here). Messages are JSON
/// objects ending in the record separator 0x1E; type 1 is an invocation, 3 a completion, 6 a ping.
/// </summary>
public sealed class RunsHubTests : IAsyncLifetime
{
    private const char RecordSeparator = '\u001e';
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private WebApplication app = null!;
    private string url = "";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        url = $"http://127.0.0.1:{LabProcess.FreePort()}";
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        builder.Services.AddRunEvents();
        app = builder.Build();
        app.UseWebSockets();
        app.MapRunEvents();
        await app.StartAsync(Cancel);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task A_client_that_joined_a_run_receives_its_events_as_typed_json_and_no_other_runs()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(url.Replace("http", "ws") + RunsHub.Path), Cancel);
        var hub = new HubMessages(socket);
        await hub.Send("""{"protocol":"json","version":1}""");
        Assert.Equal("{}", await hub.Next());
        await hub.Send("""{"type":1,"invocationId":"1","target":"Join","arguments":["run-7"]}""");
        Assert.Equal("1", (await hub.NextOfType(3)).GetProperty("invocationId").GetString());

        var notifier = app.Services.GetRequiredService<RunNotifier>();
        await notifier.PublishAsync("run-8", new LogEvent(Noon, "extend", RunLogLevel.Information, "not for this client"));
        await notifier.PublishAsync("run-7", new StepEvent(Noon, "extend", 3, 10, 2.25, 1e-4, 0.5, 900, 3072, 0, TimeSpan.FromSeconds(7), 0));

        var message = await hub.NextOfType(1);
        Assert.Equal(RunsHub.EventMethod, message.GetProperty("target").GetString());
        var arguments = message.GetProperty("arguments");
        Assert.Equal("run-7", arguments[0].GetString());
        Assert.Equal("step", arguments[1].GetProperty("type").GetString());
        Assert.Equal(3, arguments[1].GetProperty("step").GetInt64());
        Assert.Equal(2.25, arguments[1].GetProperty("loss").GetDouble());
    }

    /// <summary>SignalR records over one WebSocket: a frame may carry several, a record may span frames.</summary>
    private sealed class HubMessages(ClientWebSocket socket)
    {
        private readonly Queue<string> records = new();
        private readonly StringBuilder partial = new();

        public Task Send(string json) =>
            socket.SendAsync(Encoding.UTF8.GetBytes(json + RecordSeparator), WebSocketMessageType.Text, true, Cancel);

        private int frames;

        /// <summary>The next message of the given type, skipping others (pings); fails when the socket stays silent for <see cref="ProgressWait.Stall"/>.</summary>
        public Task<JsonElement> NextOfType(int type) => ProgressWait.For(Skipping(type), () => frames, $"a message of type {type}", Cancel);

        private async Task<JsonElement> Skipping(int type)
        {
            while (true)
            {
                var message = JsonDocument.Parse(await Next()).RootElement;
                if (message.GetProperty("type").GetInt32() == type) return message;
            }
        }

        public async Task<string> Next()
        {
            var buffer = new byte[16 * 1024];
            while (records.Count == 0)
            {
                var result = await socket.ReceiveAsync(buffer, Cancel);
                frames++;
                partial.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                var text = partial.ToString();
                var end = text.LastIndexOf(RecordSeparator);
                if (end < 0) continue;
                foreach (var record in text[..end].Split(RecordSeparator)) records.Enqueue(record);
                partial.Clear().Append(text[(end + 1)..]);
            }
            return records.Dequeue();
        }
    }
}
