using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>A regular file inside a package: its path (without a leading "./") and its bytes.</summary>
public sealed record ArchiveFile(string Path, byte[] Content)
{
    /// <summary>The content as UTF-8 text, gunzipped first when the path ends in .gz (Debian compresses documentation).</summary>
    public string Text()
    {
        if (!Path.EndsWith(".gz", StringComparison.Ordinal)) return Encoding.UTF8.GetString(Content);
        using var gzip = new GZipStream(new MemoryStream(Content), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary>
/// A fetched package: its version (from the archive itself) and its files. An npm tarball is read with .NET's own
/// gzip and tar readers; a .deb's data is xz-compressed, which .NET cannot read, so <c>dpkg-deb --fsys-tarfile</c>
/// (present on every Debian and Ubuntu) unpacks it into a tar stream that the same tar reader walks. Links (hard
/// and symbolic) are not followed: the documents wanted are regular files.
/// </summary>
public sealed class PackageArchive
{
    private PackageArchive(Package package, string file, string version) => (Package, File, Version) = (package, file, version);

    public Package Package { get; }

    /// <summary>The archive on disk.</summary>
    public string File { get; }

    /// <summary>The version the archive declares (the .deb's control field, the tarball's package.json), e.g. "4.38".</summary>
    public string Version { get; }

    public static PackageArchive Open(Package package, string file, CancellationToken cancel)
    {
        try
        {
            var version = package.Manager == PackageManager.Apt
                ? ExternalProgram.Run("dpkg-deb", ["--field", file, "Version"], null, cancel).Trim()
                : NpmVersion(file);
            return version.Length > 0 ? new PackageArchive(package, file, version) : throw new PackageException($"{package}: {file} declares no version");
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException or PackageException)
        {
            throw new PackageException($"{package}: cannot read {file}: {e.Message}", e);
        }
    }

    /// <summary>The regular files whose path (without "./") <paramref name="wanted"/> accepts, in archive order.</summary>
    public IReadOnlyList<ArchiveFile> Files(Func<string, bool> wanted, CancellationToken cancel)
    {
        try
        {
            if (Package.Manager == PackageManager.Npm)
            {
                using var gzip = new GZipStream(System.IO.File.OpenRead(File), CompressionMode.Decompress);
                return Read(gzip, wanted, cancel);
            }
            return ExternalProgram.Read("dpkg-deb", ["--fsys-tarfile", File], null, tar => Read(tar, wanted, cancel), cancel);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException or PackageException)
        {
            throw new PackageException($"{Package}: cannot read {File}: {e.Message}", e);
        }
    }

    private static List<ArchiveFile> Read(Stream tar, Func<string, bool> wanted, CancellationToken cancel)
    {
        var files = new List<ArchiveFile>();
        // The caller owns the stream: a program's stdout is drained to its end after the archive's.
        using var reader = new TarReader(tar, leaveOpen: true);
        while (reader.GetNextEntry() is { } entry)
        {
            cancel.ThrowIfCancellationRequested();
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            var path = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
            if (!wanted(path) || entry.DataStream is null) continue;
            using var content = new MemoryStream();
            entry.DataStream.CopyTo(content);
            files.Add(new ArchiveFile(path, content.ToArray()));
        }
        return files;
    }

    private static string NpmVersion(string file)
    {
        using var gzip = new GZipStream(System.IO.File.OpenRead(file), CompressionMode.Decompress);
        var manifest = Read(gzip, path => path == "package/package.json", CancellationToken.None).SingleOrDefault()
            ?? throw new InvalidDataException("no package/package.json");
        using var json = JsonDocument.Parse(manifest.Content);
        return json.RootElement.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String
            ? version.GetString()!
            : throw new InvalidDataException("package/package.json has no \"version\" string");
    }
}
