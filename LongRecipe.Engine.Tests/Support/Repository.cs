namespace LongRecipe.Engine.Tests.Support;

/// <summary>The repository the tests run in: the nearest folder above the test binaries holding LongRecipe.sln.</summary>
internal static class Repository
{
    /// <summary>The repository root, or null where the tests run published outside one.</summary>
    public static readonly string? Root = Find();

    /// <summary>A path inside the repository; fails the test when there is none.</summary>
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root ?? throw new DirectoryNotFoundException($"no LongRecipe.sln above {AppContext.BaseDirectory}"), .. parts]);

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "LongRecipe.sln"))) return dir.FullName;
        return null;
    }
}
