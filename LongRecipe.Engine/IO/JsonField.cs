using System.Globalization;
using System.Text.Json;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// A JSON value with the file and field path it was read from (e.g. "model.merges[3]"), so that every
/// error can say where it is. Absent and null fields read the same, as serde's Option does.
/// </summary>
internal readonly record struct JsonField(JsonElement Value, string File, string Path)
{
    /// <summary>Parses a whole file; the caller disposes the document once its fields are read.</summary>
    public static JsonDocument ParseDocument(string json, string file)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(
                $"{file}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
    }

    /// <summary>The member <paramref name="name"/>, or null when it is absent or JSON null.</summary>
    public JsonField? Optional(string name)
    {
        _ = As(JsonValueKind.Object);
        return Value.TryGetProperty(name, out var member) && member.ValueKind != JsonValueKind.Null
            ? new JsonField(member, File, Child(name))
            : null;
    }

    public JsonField Required(string name) =>
        Optional(name) ?? throw Error($"{Child(name)} is missing");

    public string String() => As(JsonValueKind.String).GetString()!;

    public bool Bool()
    {
        if (Value.ValueKind is JsonValueKind.True or JsonValueKind.False) return Value.GetBoolean();
        throw Error($"{Path} should be true or false, not {Value.ValueKind}");
    }

    public int Int()
    {
        if (Value.ValueKind == JsonValueKind.Number && Value.TryGetInt32(out var n) && n >= 0) return n;
        throw Error($"{Path} should be a non-negative integer, not {Value.GetRawText()}");
    }

    public double Double() => As(JsonValueKind.Number).GetDouble();

    public bool Bool(string name, bool fallback) => Optional(name)?.Bool() ?? fallback;

    public IEnumerable<JsonField> Items()
    {
        _ = As(JsonValueKind.Array);
        var i = 0;
        foreach (var item in Value.EnumerateArray())
            yield return new JsonField(item, File, $"{Path}[{(i++).ToString(CultureInfo.InvariantCulture)}]");
    }

    public IEnumerable<(string Name, JsonField Value)> Properties()
    {
        _ = As(JsonValueKind.Object);
        foreach (var member in Value.EnumerateObject())
            yield return (member.Name, new JsonField(member.Value, File, Child(member.Name)));
    }

    /// <summary>The component's "type" field, for dispatch.</summary>
    public string Type() => Required("type").String();

    /// <summary>"{file}: {type field} '{type}' is not supported ({why})".</summary>
    public TokenizerFormatException Unsupported(string why) =>
        Error($"{Child("type")} '{Type()}' is not supported ({why})");

    public TokenizerFormatException Error(string message) => new($"{File}: {message}");

    private string Child(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    /// <summary>The value, checked to be of <paramref name="kind"/>.</summary>
    public JsonElement As(JsonValueKind kind) =>
        Value.ValueKind == kind
            ? Value
            : throw Error($"{(Path.Length == 0 ? "the document" : Path)} should be {Article(kind)}, not {Value.ValueKind}");

    private static string Article(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        _ => "a number",
    };
}
