namespace LongRecipe.Lab;

/// <summary>Finds the repository root, which holds the Lab's appsettings.json and wwwroot/.</summary>
public static class LabRoot
{
    /// <summary>Environment variable naming the root explicitly, e.g. for a Lab copied elsewhere.</summary>
    public const string Variable = "LAB_ROOT";

    public const string Marker = "LongRecipe.sln";

    /// <summary>
    /// <c>LAB_ROOT</c> when set, else the nearest folder above the Lab's binaries holding
    /// LongRecipe.sln; binaries sit under the repository both for <c>dotnet run</c> and for the built dll.
    /// </summary>
    public static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(configured))
        {
            var path = Path.GetFullPath(configured);
            return Directory.Exists(path)
                ? path
                : throw new DirectoryNotFoundException($"{Variable} names {path}, which does not exist.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, Marker))) return dir.FullName;
        }
        throw new DirectoryNotFoundException(
            $"No {Marker} above {AppContext.BaseDirectory}; set {Variable} to the repository root.");
    }
}
