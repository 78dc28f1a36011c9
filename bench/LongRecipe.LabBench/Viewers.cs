using Microsoft.Playwright;

namespace LongRecipe.LabBench;

/// <summary>N viewers of one run, opened together and closed together.</summary>
public abstract class Viewers : IAsyncDisposable
{
    public abstract Task OpenAsync(int count, CancellationToken cancel);

    public abstract Task CloseAsync();

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Chromium under taskset on <paramref name="cpus"/>, as a script Playwright can launch.</summary>
    public static string Pinned(string chromium, string cpus)
    {
        var script = Path.Combine(Path.GetTempPath(), $"chromium-on-{cpus.Replace(',', '_')}");
        File.WriteAllText(script, $"#!/bin/sh\nexec taskset -c {cpus} {chromium} \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    /// <summary>Headless Chromium as the benchmarks run it: no GPU, no background traffic of its own.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright, string executable) =>
        playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = executable, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
}

/// <summary>
/// Browsers on the run's dashboard (/runs/{id}), as a researcher watching sees it: the Blazor circuit, its render
/// batches and the live charts. Chromium runs on the cores of <c>chromium</c>'s wrapper, if it is one.
/// </summary>
public sealed class PageViewers(Uri lab, long run, string chromium) : Viewers
{
    private IPlaywright? playwright;
    private IBrowser? browser;
    private readonly List<IPage> pages = [];

    /// <summary>The open pages, each on the run's dashboard with its loss chart drawn.</summary>
    public IReadOnlyList<IPage> Pages => pages;

    public override async Task OpenAsync(int count, CancellationToken cancel)
    {
        playwright ??= await Playwright.CreateAsync();
        browser ??= await LaunchChromiumAsync(playwright, chromium);
        for (var i = 0; i < count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
            await page.GotoAsync(new Uri(lab, $"/runs/{run}").ToString(), new() { Timeout = 0 });
            await page.Locator("[data-chart=loss] .main-svg").First.WaitForAsync(new() { Timeout = 0 });
            pages.Add(page);
            Console.Error.Write($"\r{i + 1} of {count} pages on /runs/{run}");
        }
        Console.Error.WriteLine();
    }

    public override async Task CloseAsync()
    {
        foreach (var page in pages) await page.CloseAsync();
        pages.Clear();
        if (browser is not null) await browser.DisposeAsync();
        browser = null;
        playwright?.Dispose();
        playwright = null;
    }
}

/// <summary>Clients of the runs hub (/hubs/runs), as an outside live dashboard follows a run: every event of it.</summary>
public sealed class HubViewers(Uri lab, long run) : Viewers
{
    private readonly List<LabClient> clients = [];

    /// <summary>Events the clients have received, all together.</summary>
    public long Received => Interlocked.Read(ref received);

    private long received;

    public override async Task OpenAsync(int count, CancellationToken cancel)
    {
        for (var i = 0; i < count; i++)
        {
            var client = new LabClient(lab);
            await client.FollowAsync(run, _ => Interlocked.Increment(ref received), cancel);
            clients.Add(client);
        }
    }

    public override async Task CloseAsync()
    {
        foreach (var client in clients) await client.DisposeAsync();
        clients.Clear();
    }
}
