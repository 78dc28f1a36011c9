using System.Text.Json;
using System.Text.Json.Serialization;
using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.RopeSearch;

/// <summary>A candidate with its fitness: perplexity on the stage's samples (+∞ for one whose logits overflowed).</summary>
public sealed record ScoredCandidate(RopeCandidate Candidate, double Perplexity);

/// <summary>
/// A search's progress on disk, written atomically after every generation: the stages done and, for the stage
/// under way, its population (in order) and every candidate it has scored. A search given the file continues
/// after the last generation written, and ends as the uninterrupted search would: each generation draws from
/// its own random stream, so nothing else needs keeping.
/// </summary>
/// <param name="Spec">The search's settings as JSON; a file written by other settings is refused.</param>
public sealed record SearchCheckpoint(string Spec, IReadOnlyList<RopeSearchStage> Done, SearchCheckpoint.Evolution? Current)
{
    /// <summary>Stage <paramref name="Stage"/> (the spec's stages, then the short phase) after generation <paramref name="Generation"/>.</summary>
    public sealed record Evolution(int Stage, int Generation, IReadOnlyList<ScoredCandidate> Population, IReadOnlyList<ScoredCandidate> History);

    /// <summary>A fresh search's state.</summary>
    public static SearchCheckpoint Start(RopeSearchSpec spec) => new(SpecJson(spec), [], null);

    public void Save(string path) =>
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, this, SearchCheckpointJson.Default.SearchCheckpoint));

    /// <summary>The state in <paramref name="path"/>, or a fresh one when there is no such file; problems name the file.</summary>
    public static SearchCheckpoint Load(string path, RopeSearchSpec spec)
    {
        if (!File.Exists(path)) return Start(spec);
        SearchCheckpoint? saved;
        try
        {
            saved = JsonSerializer.Deserialize(File.ReadAllText(path), SearchCheckpointJson.Default.SearchCheckpoint);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a search checkpoint ({e.Message})", e);
        }
        if (saved is null) throw new InvalidDataException($"{path}: empty search checkpoint");
        return saved.Spec == SpecJson(spec)
            ? saved
            : throw new InvalidDataException($"{path}: written by a search with other settings; remove it to start again");
    }

    private static string SpecJson(RopeSearchSpec spec) => JsonSerializer.Serialize(spec, SearchCheckpointJson.Default.RopeSearchSpec);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(SearchCheckpoint))]
[JsonSerializable(typeof(RopeSearchSpec))]
internal sealed partial class SearchCheckpointJson : JsonSerializerContext;
