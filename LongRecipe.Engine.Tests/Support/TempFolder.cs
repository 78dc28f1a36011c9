namespace LongRecipe.Engine.Tests.Support;

/// <summary>A fresh folder per test, deleted with everything in it afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("lr-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Every file in the folder, hidden ones (like the writer's temporaries) included.</summary>
    public string[] Files() => [.. Directory.GetFiles(Path).Order(StringComparer.Ordinal)];

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
