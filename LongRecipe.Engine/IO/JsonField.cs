using System.Globalization;
using System.Text.Json;

namespace LongRecipe.Engine.IO;

/// <summary>
/// A JSON file or request could not be read as expected; the message names the source (a file, a request line)
/// and the field's path, e.g. "…/config.json: rope_scaling.factor must be a number, got "4"". A problem at one
/// field also carries the field and the problem apart, for a caller that places it (a form, a spec's own path).
/// </summary>
public sealed class JsonFieldException : Exception
{
    public JsonFieldException(string message, Exception? inner = null) : base(message, inner) { }

    public JsonFieldException(string source, string field, string problem) : base($"{source}: {field} {problem}") =>
        (Field, Problem) = (field, problem);

    /// <summary>The field's path, e.g. rope_scaling.factor; null for a problem with the whole document.</summary>
    public string? Field { get; }

    /// <summary>What is wrong with the field, e.g. "must be a number, got "4"".</summary>
    public string? Problem { get; }
}

/// <summary>
/// A JSON value with the source it was read from (a file, "line 3" of a request stream) and its path there
/// (e.g. "model.merges[3]"), so that every error can say where it is. Absent and null fields read the same, as
/// serde's Option and transformers' config classes do. The one reader of config.json, tokenizer.json and the
/// command line's requests.
/// </summary>
public readonly record struct JsonField(JsonElement Value, string Source, string Path)
{
    /// <summary>Parses a whole document; the caller disposes it once its fields are read.</summary>
    public static JsonDocument Parse(string json, string source)
    {
        try
        {
            // A key written twice is read differently by different readers (the first, the last): neither is taken.
            return Read(json, source, allowRepeatedKeys: false);
        }
        catch (JsonException e)
        {
            // A repeated key is found once its object is read, so the reader names neither the object nor where it is:
            // the document is read again, repeats kept, to name them.
            using var document = Read(json, source, allowRepeatedKeys: true);
            var (holder, key) = new JsonField(document.RootElement, source, "").RepeatedKeys().FirstOrDefault();
            if (key is null) throw new JsonFieldException($"{source}: {e.Message}", e);
            var values = holder.Value.EnumerateObject().Where(p => p.Name == key).Take(2).Select(p => Shown(p.Value)).ToList();
            throw holder.Invalid($"has '{key}' written twice ({values[0]}, then {values[1]}): JSON readers differ on which they keep, "
                + "the first or the last, so neither is taken");
        }
    }

    // Syntax errors carry a position; a repeated key (refused unless allowed) does not, and comes out as it is.
    private static JsonDocument Read(string json, string source, bool allowRepeatedKeys)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = allowRepeatedKeys });
        }
        catch (JsonException e) when (e.LineNumber is { } line)
        {
            throw new JsonFieldException($"{source}: not valid JSON (line {line + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
    }

    /// <summary>Each key written twice in one object, at any depth: the object holding it, and the key.</summary>
    public IEnumerable<(JsonField Holder, string Key)> RepeatedKeys()
    {
        if (Value.ValueKind == JsonValueKind.Array)
            foreach (var item in Items())
                foreach (var repeat in item.RepeatedKeys()) yield return repeat;
        if (Value.ValueKind != JsonValueKind.Object) yield break;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, member) in Properties())
        {
            if (!seen.Add(name)) yield return (this, name);
            foreach (var repeat in member.RepeatedKeys()) yield return repeat;
        }
    }

    /// <summary>The document's top level, which must be an object.</summary>
    public static JsonField Root(JsonDocument document, string source)
    {
        var root = new JsonField(document.RootElement, source, "");
        _ = root.As(JsonValueKind.Object);
        return root;
    }

    /// <summary>Whether the member is written at all, null included.</summary>
    public bool Has(string name) => As(JsonValueKind.Object).TryGetProperty(name, out _);

    /// <summary>The member <paramref name="name"/>, or null when it is absent or JSON null.</summary>
    public JsonField? Optional(string name) =>
        As(JsonValueKind.Object).TryGetProperty(name, out var member) && member.ValueKind != JsonValueKind.Null
            ? new JsonField(member, Source, Child(name))
            : null;

    public JsonField Required(string name) =>
        Optional(name) ?? throw new JsonFieldException(Source, Child(name), "is missing");

    /// <summary>Refuses members other than <paramref name="known"/>, so that a misspelt one is not silently ignored.</summary>
    public void OnlyFields(params string[] known)
    {
        foreach (var member in As(JsonValueKind.Object).EnumerateObject())
            if (!known.Contains(member.Name))
                throw new JsonFieldException(Source, Child(member.Name), $"is not a field here (expected {string.Join(", ", known)})");
    }

    public string String()
    {
        var value = As(JsonValueKind.String);
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // JSON's \uXXXX escapes can spell half a surrogate pair, which is no text.
            throw Invalid("holds a lone surrogate (a \\uD800–\\uDFFF escape without its pair)");
        }
    }

    public bool Bool() =>
        Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? Value.GetBoolean() : throw WrongType("true or false");

    public long Long() =>
        Value.ValueKind == JsonValueKind.Number && Value.TryGetInt64(out var n) ? n : throw WrongType("an integer");

    /// <summary>A whole number ≥ 0 (a seed).</summary>
    public ulong ULong() =>
        Value.ValueKind == JsonValueKind.Number && Value.TryGetUInt64(out var n) ? n : throw WrongType("an integer ≥ 0");

    /// <summary>A whole number of at least <paramref name="min"/> that fits an int.</summary>
    public int Int(int min = int.MinValue)
    {
        if (Value.ValueKind == JsonValueKind.Number && Value.TryGetInt32(out var n) && n >= min) return n;
        // A whole number past int's range (a hidden_size of 2⁴⁰) is an integer, just too large: say so.
        if (Value.ValueKind == JsonValueKind.Number && !Value.TryGetInt32(out _) && Value.TryGetInt64(out _))
            throw WrongType($"an integer in [{min.ToString(CultureInfo.InvariantCulture)}, {int.MaxValue.ToString(CultureInfo.InvariantCulture)}]");
        throw WrongType(min == int.MinValue ? "an integer" : $"an integer ≥ {min.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>A finite number: JSON has no NaN or infinity, and a literal beyond double's range (1e400) is refused, not read as ∞.</summary>
    public double Double() =>
        Value.ValueKind == JsonValueKind.Number && Value.TryGetDouble(out var d) && double.IsFinite(d) ? d : throw WrongType("a finite number");

    public bool Bool(string name, bool fallback) => Optional(name)?.Bool() ?? fallback;

    public IEnumerable<JsonField> Items()
    {
        var array = As(JsonValueKind.Array);
        var i = 0;
        foreach (var item in array.EnumerateArray())
            yield return new JsonField(item, Source, $"{Path}[{(i++).ToString(CultureInfo.InvariantCulture)}]");
    }

    public double[] Doubles() => [.. Items().Select(i => i.Double())];

    public long[] Longs() => [.. Items().Select(i => i.Long())];

    /// <summary>Whole numbers of at least <paramref name="min"/> that fit an int (token ids); each one past that range is named by its index.</summary>
    public int[] Ints(int min = int.MinValue) => [.. Items().Select(i => i.Int(min))];

    public IEnumerable<(string Name, JsonField Value)> Properties()
    {
        var value = As(JsonValueKind.Object);
        foreach (var member in value.EnumerateObject())
            yield return (member.Name, new JsonField(member.Value, Source, Child(member.Name)));
    }

    /// <summary>The component's "type" field, for dispatch.</summary>
    public string Type() => Required("type").String();

    /// <summary>"{source}: {type field} '{type}' is not supported ({why})".</summary>
    public JsonFieldException Unsupported(string why) =>
        Error($"{Child("type")} '{Type()}' is not supported ({why})");

    public JsonFieldException Error(string message) => new($"{Source}: {message}");

    /// <summary>This field is wrong: "{source}: {path} {problem}".</summary>
    public JsonFieldException Invalid(string problem) => new(Source, Path.Length == 0 ? "the document" : Path, problem);

    /// <summary>The value, checked to be of <paramref name="kind"/>.</summary>
    public JsonElement As(JsonValueKind kind) => Value.ValueKind == kind ? Value : throw WrongType(Article(kind));

    private JsonFieldException WrongType(string expected) => Invalid($"must be {expected}, got {Shown(Value)}");

    // A whole vocabulary in a message helps nobody: long values are cut.
    private static string Shown(JsonElement value)
    {
        const int most = 80;
        var text = value.GetRawText();
        return text.Length <= most ? text : text[..most] + "…";
    }

    private string Child(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    private static string Article(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        _ => "a number",
    };
}
