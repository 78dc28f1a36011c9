namespace LongRecipe.Engine.Runs;

/// <summary>
/// The places the Lab and the command line share, so a run started in one shows in the other: the repository
/// root (the built-in model under models/builtin) and, in the data directory, the run store and run folders.
/// </summary>
public sealed record Workspace(string Root, string DataDirectory)
{
    /// <summary>Environment variable naming the root explicitly, e.g. for binaries copied elsewhere.</summary>
    public const string RootVariable = "LAB_ROOT";

    public const string Marker = "LongRecipe.sln";

    public string BuiltinModel => Path.Combine(Root, "models", "builtin");

    public string StoreFile => Path.Combine(DataDirectory, "runs.db");

    public string RunsFolder => Path.Combine(DataDirectory, "runs");

    /// <summary>Where <c>./longrecipe corpus-fetch</c> builds the real-text corpus that specs name "real".</summary>
    public string RealCorpus => Path.Combine(DataDirectory, "corpora", "real");

    /// <summary>The workspace at the located root, with <paramref name="dataDirectory"/> relative to it (e.g. "data").</summary>
    public static Workspace At(string dataDirectory)
    {
        var root = LocateRoot();
        return new Workspace(root, Path.GetFullPath(dataDirectory, root));
    }

    /// <summary>
    /// <c>LAB_ROOT</c> when set, else the nearest folder above the running binaries holding LongRecipe.sln;
    /// binaries sit under the repository both for <c>dotnet run</c> and for the built dlls.
    /// </summary>
    public static string LocateRoot()
    {
        var configured = Environment.GetEnvironmentVariable(RootVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            var path = Path.GetFullPath(configured);
            return Directory.Exists(path)
                ? path
                : throw new DirectoryNotFoundException($"{RootVariable} names {path}, which does not exist.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, Marker))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No {Marker} above {AppContext.BaseDirectory}; set {RootVariable} to the repository root.");
    }
}
