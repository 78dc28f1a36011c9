namespace LongRecipe.Lab.Security;

/// <summary>
/// Who may drive the Lab: the "Lab:Security" section of appsettings.json. Empty lists take the defaults, so that
/// the configuration binder does not add to them.
/// </summary>
public sealed record LabSecurityOptions
{
    public const string Section = "Lab:Security";

    /// <summary>The names loopback is reached by: what a browser on this machine puts in Host.</summary>
    public static readonly IReadOnlyList<string> LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>
    /// Host names the Lab answers to; a request for another (a DNS-rebinding page's own name) is refused. By default
    /// the loopback names, and, when the Lab listens beyond loopback, this machine's name and the addresses it listens on.
    /// </summary>
    public string[] AllowedHosts { get; init; } = [];

    /// <summary>
    /// Page origins besides the Lab's own whose scripts may call it, e.g. ["http://notebook.example:8888"]; none by
    /// default, so a page elsewhere cannot open the Lab's WebSockets or post to it.
    /// </summary>
    public string[] AllowedOrigins { get; init; } = [];

    /// <summary>
    /// The access token the Lab asks for when it listens beyond loopback; empty: generated at first start, kept in
    /// the data directory's access-token file and printed at every start.
    /// </summary>
    public string? AccessToken { get; init; }

    /// <summary>
    /// Folders under which model directories may be imported, relative to the repository root, e.g. ["models"] (the
    /// default); the data directory is always one.
    /// </summary>
    public string[] ModelImportFolders { get; init; } = [];

    /// <summary>The hosts the Lab answers to, listening as <paramref name="token"/> says.</summary>
    public IReadOnlyList<string> HostsFor(AccessToken token) =>
        AllowedHosts.Length > 0 ? AllowedHosts
        : [.. LoopbackHosts, .. token.Required ? token.Beyond.Select(Security.AccessToken.HostOf).Where(h => h is not ("*" or "+" or "0.0.0.0" or "[::]")).Append(Environment.MachineName) : []];

    public IReadOnlyList<string> ImportFolders => ModelImportFolders.Length > 0 ? ModelImportFolders : ["models"];
}
