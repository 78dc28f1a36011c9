using System.Text.Encodings.Web;
using System.Text.Json.Serialization;
using System.Text.Json;
using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>A package as fetched: its manager and name, the version the archive declares, the file and its SHA-256.</summary>
public sealed record PackageEntry(PackageManager Manager, string Name, string Version, string File, string Sha256);

/// <summary>One source of the corpus: its packages, licence, and what it holds after deduplication.</summary>
public sealed record SourceEntry(string Name, string Licence, IReadOnlyList<PackageEntry> Packages, int Documents, long Bytes, long Tokens);

/// <summary>One document: its id, source, split, length in tokens (the manifest's tokenizer, no BOS or EOS) and in UTF-8 bytes.</summary>
public sealed record DocumentEntry(string Id, string Source, CorpusSplit Split, int Tokens, long Bytes);

/// <summary>The documents, tokens and bytes of one split.</summary>
public sealed record SplitEntry(int Documents, long Tokens, long Bytes);

/// <summary>The tokenizer the token counts are in: the path given and the SHA-256 of its tokenizer.json.</summary>
public sealed record TokenizerStamp(string Path, string Sha256);

/// <summary>
/// manifest.json of a real-text corpus folder: where every document came from (source packages with versions and
/// licences), what deduplication removed, every document's split and length, and totals per split. The token
/// counts are in <see cref="Tokenizer"/>'s tokens; <see cref="LongDocuments"/> counts documents of at least 4k,
/// 8k and 16k of them (keys "4096", "8192", "16384").
/// </summary>
public sealed record CorpusManifest(
    int Format,
    DateTimeOffset Built,
    TokenizerStamp Tokenizer,
    IReadOnlyList<SourceEntry> Sources,
    IReadOnlyDictionary<string, SplitEntry> Splits,
    IReadOnlyDictionary<string, int> LongDocuments,
    DeduplicationReport Deduplication,
    IReadOnlyList<DocumentEntry> Documents)
{
    /// <summary>The version of the folder's layout and of the extraction; a corpus of another one is rebuilt.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The lengths <see cref="LongDocuments"/> counts documents at.</summary>
    public static IReadOnlyList<int> LongLengths { get; } = [4096, 8192, 16384];

    public void Save(string path) => AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, this, CorpusJson.Files.CorpusManifest));

    /// <summary>Reads a manifest; a malformed one throws a <see cref="CorpusFormatException"/> naming the file.</summary>
    public static CorpusManifest Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, CorpusJson.Default.CorpusManifest) ?? throw new CorpusFormatException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new CorpusFormatException($"{path}: not a corpus manifest ({e.Message})");
        }
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    WriteIndented = true,
    Converters = [typeof(SnakeCaseEnumConverter<PackageManager>), typeof(SnakeCaseEnumConverter<CorpusSplit>)])]
[JsonSerializable(typeof(CorpusManifest))]
[JsonSerializable(typeof(ExtractionStamp))]
internal sealed partial class CorpusJson : JsonSerializerContext
{
    /// <summary>Files keep non-ASCII text and '+' as they are (readable, smaller); quotes and control characters are still escaped.</summary>
    public static CorpusJson Files => field ??= new(new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}

/// <summary>The corpus's JSON Lines: one document per line, fields in snake_case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(RealDocument))]
internal sealed partial class CorpusLineJson : JsonSerializerContext
{
    /// <inheritdoc cref="CorpusJson.Files"/>
    public static CorpusLineJson Files => field ??= new(new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
