using System.Net;
using System.Net.WebSockets;
using LongRecipe.Lab.Live;
using LongRecipe.Lab.Security;

namespace LongRecipe.Lab.Tests.Security;

/// <summary>
/// The Lab as a page elsewhere, a DNS-rebinding page and a stranger on the network would meet it, through real HTTP
/// and WebSocket requests to the built Lab: other hosts are refused, other origins cannot open its WebSockets or post
/// to it, and, listening beyond loopback, it asks for the access token it printed when it started.
/// </summary>
public sealed class LabSecurityTests(LabProcess lab) : IClassFixture<LabProcess>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A client that shows each answer as it is: no redirects followed, no cookies kept.</summary>
    private static HttpClient Client(string url) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(url) };

    private static async Task<(HttpStatusCode Status, string Body)> Send(HttpClient client, HttpMethod method, string path,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in headers)
            if (name == "Host") request.Headers.Host = value;
            else request.Headers.TryAddWithoutValidation(name, value);
        using var response = await client.SendAsync(request, Cancel);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }

    /// <summary>The status a WebSocket upgrade to <paramref name="path"/> gets: 101 when it opens.</summary>
    internal static async Task<HttpStatusCode> Upgrade(string url, string path, params (string Name, string Value)[] headers)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var (name, value) in headers) socket.Options.SetRequestHeader(name, value);
        try
        {
            await socket.ConnectAsync(new Uri(url.Replace("http", "ws") + path), Cancel);
        }
        catch (WebSocketException)
        {
            // The status the server answered with stays on the socket.
        }
        return socket.HttpStatusCode;
    }

    [Fact]
    public async Task Requests_for_another_host_are_refused_and_the_loopback_names_answer()
    {
        using var client = Client(lab.Url);
        var port = new Uri(lab.Url).Port;
        var (status, body) = await Send(client, HttpMethod.Get, "/", ("Host", "attacker.example"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("The Lab does not answer to the host 'attacker.example'. It answers to localhost, 127.0.0.1, [::1]; " +
                     "to reach it by this name, add the name to Lab:Security:AllowedHosts in appsettings.json.\n", body);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(client, HttpMethod.Get, "/api/runs/1/steps.csv", ("Host", $"attacker.example:{port}"))).Status);
        foreach (var host in new[] { $"127.0.0.1:{port}", $"localhost:{port}", "localhost" })
            Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Get, "/", ("Host", host))).Status);
    }

    [Fact]
    public async Task A_page_elsewhere_cannot_open_the_Labs_websockets_or_post_to_it_and_the_Labs_own_pages_can()
    {
        using var client = Client(lab.Url);
        const string evil = "http://evil.example";
        var own = lab.Url;

        Assert.Equal(HttpStatusCode.Forbidden, await Upgrade(lab.Url, RunsHub.Path, ("Origin", evil)));
        Assert.Equal(HttpStatusCode.Forbidden, await Upgrade(lab.Url, "/_blazor", ("Origin", evil)));
        Assert.Equal(HttpStatusCode.Forbidden, await Upgrade(lab.Url, RunsHub.Path, ("Origin", "null")));
        Assert.Equal(HttpStatusCode.Forbidden, await Upgrade(lab.Url, RunsHub.Path, ("Origin", own.Replace("127.0.0.1", "localhost"))));
        var (status, body) = await Send(client, HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1", ("Origin", evil));
        Assert.Equal((HttpStatusCode.Forbidden, "A page at http://evil.example may not drive the Lab. To let it, add http://evil.example to Lab:Security:AllowedOrigins in appsettings.json.\n"),
            (status, body));

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await Upgrade(lab.Url, RunsHub.Path, ("Origin", own)));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await Upgrade(lab.Url, RunsHub.Path));
        Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1", ("Origin", own))).Status);
        // On loopback the Lab asks for no token.
        Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Get, "/")).Status);

        // Two Origin lines (HttpClient would join them into one): neither may stand for the request.
        var port = new Uri(lab.Url).Port;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, Cancel);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {evil}\r\nOrigin: {evil}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"), Cancel);
        var answer = await new StreamReader(stream).ReadToEndAsync(Cancel);
        Assert.StartsWith("HTTP/1.1 403", answer);
        Assert.Contains("A request names one Origin; this one names 2.", answer);
    }

    [Fact]
    public void A_configured_token_is_asked_for_on_loopback_too()
    {
        var data = Directory.CreateTempSubdirectory("lab-token-").FullName;
        try
        {
            var configured = AccessToken.For(["http://127.0.0.1:5080"], "0123456789abcdef0123", data);
            Assert.True(configured.Required);
            Assert.Equal("0123456789abcdef0123", configured.Value);
            Assert.False(AccessToken.For(["http://127.0.0.1:5080"], null, data).Required);
            Assert.Throws<LabSecurityException>(() => AccessToken.For(["http://127.0.0.1:5080"], "secret", data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}

/// <summary>The Lab listening on every interface: it generates a token at first start and asks for it.</summary>
public sealed class OpenLab : LabProcess
{
    protected override string Listen(int port) => $"http://0.0.0.0:{port}";
}

public sealed class LabTokenTests(OpenLab lab) : IClassFixture<OpenLab>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Beyond_loopback_the_Lab_asks_for_the_token_it_printed_and_keeps_it_for_its_owner()
    {
        var file = Path.Combine(lab.DataDirectory, AccessToken.FileName);
        var token = File.ReadAllText(file).Trim();
        Assert.Matches("^[0-9a-f]{48}$", token);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var port = new Uri(lab.Url).Port;
        Assert.Contains($"http://{Environment.MachineName}:{port}/?token={token}", lab.Output);

        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(lab.Url) };
        async Task<HttpResponseMessage> Get(string path, params (string, string)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            return await client.SendAsync(request, Cancel);
        }

        using (var refused = await Get("/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.StartsWith("This Lab listens beyond its machine and asks for its access token", await refused.Content.ReadAsStringAsync(Cancel));
        }
        using (var wrong = await Get($"/?token={new string('0', 48)}")) Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using (var downloads = await Get("/api/runs/1/steps.csv")) Assert.Equal(HttpStatusCode.Unauthorized, downloads.StatusCode);

        // The printed address: the token becomes a cookie and leaves the address bar.
        using var admitted = await Get($"/runs?token={token}&x=1");
        Assert.Equal((HttpStatusCode.Redirect, "/runs?x=1"), (admitted.StatusCode, admitted.Headers.Location?.OriginalString));
        var cookie = Assert.Single(admitted.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"{LabGate.Cookie}={token}; path=/; samesite=strict; httponly", cookie);
        using (var page = await Get("/", ("Cookie", $"{LabGate.Cookie}={token}"))) Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using (var api = await Get("/", ("Authorization", $"Bearer {token}"))) Assert.Equal(HttpStatusCode.OK, api.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await LabSecurityTests.Upgrade(lab.Url, RunsHub.Path));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await LabSecurityTests.Upgrade(lab.Url, $"{RunsHub.Path}?access_token={token}"));
        // The token does not open the Lab to another host's pages.
        using (var rebound = await Get("/", ("Cookie", $"{LabGate.Cookie}={token}"), ("Host", $"attacker.example:{port}")))
            Assert.Equal(HttpStatusCode.BadRequest, rebound.StatusCode);
    }
}

/// <summary>A Lab told to listen beyond loopback with a token anyone could guess: it refuses to start.</summary>
public sealed class WeakTokenLab : LabProcess
{
    protected override string Listen(int port) => $"http://0.0.0.0:{port}";

    protected override IEnumerable<(string Name, string Value)> Settings => [("Lab__Security__AccessToken", "hunter2")];
}

public sealed class LabStartTests
{
    [Fact]
    public async Task Beyond_loopback_with_a_guessable_token_the_Lab_refuses_to_start()
    {
        var lab = new WeakTokenLab();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await lab.InitializeAsync());
        Assert.Contains("The Lab exited with 1", error.Message);
        Assert.Contains("Lab:Security:AccessToken is 7 characters; a token needs at least 16", lab.Output);
        await lab.DisposeAsync();
    }
}
