using System.Text.Json.Serialization.Metadata;
using System.Text.Json.Serialization;
using System.Text.Json;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Runs;

// Reading and writing run specs as snake_case JSON.
public sealed partial record RunSpec
{
    /// <summary>The spec as indented snake_case JSON; nulls are left out.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RunSpecJsonContext.Default.RunSpec);

    /// <summary>Writes the spec to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, this, RunSpecJsonContext.Default.RunSpec));

    /// <summary>Reads and validates a spec file; problems throw a <see cref="RunSpecException"/> naming the file and each field.</summary>
    public static RunSpec Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunSpecException(path, [new SpecProblem("", $"cannot be read ({e.Message})")]);
        }
        return Parse(text, path);
    }

    /// <summary>
    /// Reads and validates a spec from JSON text. Every problem is reported at once, each naming its JSON
    /// path (<c>stages[1].lr: must be &gt; 0</c>); <paramref name="source"/> (a file name) prefixes them when given.
    /// </summary>
    public static RunSpec Parse(string json, string? source = null)
    {
        RunSpec? spec;
        try
        {
            using (var document = JsonDocument.Parse(json))
            {
                var shape = new List<SpecProblem>();
                CheckShape(document.RootElement, RunSpecJsonContext.Default.RunSpec, "", shape);
                if (shape.Count > 0) throw new RunSpecException(source, shape);
            }
            spec = JsonSerializer.Deserialize(json, RunSpecJsonContext.Default.RunSpec);
        }
        catch (JsonException e)
        {
            throw new RunSpecException(source, [FromJsonException(e)]);
        }
        if (spec is null) throw new RunSpecException(source, [new SpecProblem("", "must be a JSON object, got null")]);
        var problems = spec.Problems();
        return problems.Count == 0 ? spec : throw new RunSpecException(source, problems);
    }

    /// <summary>
    /// Walks the document beside the serializer's own metadata, so that a misspelt or missing field, a value of
    /// the wrong type and an unknown stage kind are each reported at their path, in the spec's own words,
    /// before the serializer sees them.
    /// </summary>
    private static void CheckShape(JsonElement element, JsonTypeInfo info, string path, List<SpecProblem> problems)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (ValueProblem(element, type) is { } problem)
        {
            problems.Add(new SpecProblem(path, $"{problem}, got {element.GetRawText()}"));
            return;
        }
        if (ElementType(type) is { } itemType)
        {
            if (element.ValueKind != JsonValueKind.Array)
            {
                problems.Add(new SpecProblem(path, $"must be a list, got {element.GetRawText()}"));
                return;
            }
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Null) problems.Add(new SpecProblem($"{path}[{index}]", "must not be null"));
                else CheckShape(item, info.Options.GetTypeInfo(itemType), $"{path}[{index}]", problems);
                index++;
            }
            return;
        }
        if (info.Kind != JsonTypeInfoKind.Object) return;
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new SpecProblem(path, $"must be an object, got {element.GetRawText()}"));
            return;
        }
        if (info.PolymorphismOptions is not { } polymorphism)
        {
            CheckFields(element, info, path, problems, discriminator: null);
            return;
        }
        var kinds = polymorphism.DerivedTypes.Select(d => (string)d.TypeDiscriminator!).ToList();
        var kindPath = Join(path, polymorphism.TypeDiscriminatorPropertyName);
        if (!element.TryGetProperty(polymorphism.TypeDiscriminatorPropertyName, out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            problems.Add(new SpecProblem(kindPath, $"missing (expected {string.Join(", ", kinds)})"));
            return;
        }
        var derived = polymorphism.DerivedTypes.FirstOrDefault(d => (string)d.TypeDiscriminator! == kind.GetString());
        if (derived.DerivedType is null)
            problems.Add(new SpecProblem(kindPath, $"'{kind.GetString()}' is not one of {string.Join(", ", kinds)}"));
        else
            CheckFields(element, info.Options.GetTypeInfo(derived.DerivedType), path, problems, polymorphism.TypeDiscriminatorPropertyName);
    }

    private static void CheckFields(JsonElement element, JsonTypeInfo info, string path, List<SpecProblem> problems, string? discriminator)
    {
        var known = info.Properties.ToDictionary(p => p.Name);
        foreach (var property in element.EnumerateObject())
        {
            var fieldPath = Join(path, property.Name);
            if (property.Name == discriminator) continue;
            if (!known.TryGetValue(property.Name, out var field))
                problems.Add(new SpecProblem(fieldPath, $"unknown field (expected one of {string.Join(", ", known.Keys)})"));
            else if (property.Value.ValueKind == JsonValueKind.Null)
            {
                if (!field.IsSetNullable) problems.Add(new SpecProblem(fieldPath, "must not be null"));
            }
            else
                CheckShape(property.Value, info.Options.GetTypeInfo(field.PropertyType), fieldPath, problems);
        }
        foreach (var field in known.Values)
            if ((field.IsRequired || field.AssociatedParameter is { HasDefaultValue: false }) && !element.TryGetProperty(field.Name, out _))
                problems.Add(new SpecProblem(Join(path, field.Name), "missing (required)"));
    }

    /// <summary>What is wrong with a scalar value for <paramref name="type"/>; null when it fits or the type is not a scalar.</summary>
    private static string? ValueProblem(JsonElement value, Type type)
    {
        var kind = value.ValueKind;
        if (type == typeof(string)) return kind == JsonValueKind.String ? null : "must be a string";
        if (type == typeof(bool)) return kind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
        if (type == typeof(int)) return kind == JsonValueKind.Number && value.TryGetInt32(out _) ? null : "must be an integer";
        if (type == typeof(long)) return kind == JsonValueKind.Number && value.TryGetInt64(out _) ? null : "must be an integer";
        if (type == typeof(ulong)) return kind == JsonValueKind.Number && value.TryGetUInt64(out _) ? null : "must be a non-negative integer";
        if (type == typeof(double)) return kind == JsonValueKind.Number ? null : "must be a number";
        if (type == typeof(RopeType))
            return kind == JsonValueKind.String && RopeTypeNames.TryParse(value.GetString()!, out _) ? null : RopeTypeConverter.Expected;
        if (!type.IsEnum) return null;
        var names = Enum.GetNames(type).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName).ToList();
        return kind == JsonValueKind.String && names.Contains(value.GetString()!) ? null : $"must be one of {string.Join(", ", names)}";
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0]
        : null;

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>The serializer's message without its own location suffix, placed at its JSON path and line.</summary>
    private static SpecProblem FromJsonException(JsonException e)
    {
        var message = e.Message;
        var suffix = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (suffix < 0) suffix = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        if (suffix >= 0) message = message[..suffix];
        var path = e.Path is { } p ? p.TrimStart('$').TrimStart('.') : "";
        var line = e.LineNumber is { } n ? $" (line {n + 1})" : "";
        return new SpecProblem(path, message + line);
    }
}

/// <summary>One thing wrong with a spec: the JSON path of the field (e.g. <c>stages[1].lr</c>) and what is wrong.</summary>
public sealed record SpecProblem(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}

/// <summary>A spec that cannot run; the message lists every problem, prefixed by <see cref="File"/> when the spec came from one.</summary>
public sealed class RunSpecException(string? source, IReadOnlyList<SpecProblem> problems)
    : Exception(string.Join(Environment.NewLine, problems.Select(p => source is null ? p.ToString() : $"{source}: {p}")))
{
    public string? File { get; } = source;
    public IReadOnlyList<SpecProblem> Problems { get; } = problems;
}

/// <summary>Enum values as snake_case strings (full_length, long_recipe); numbers are refused.</summary>
internal sealed class SnakeCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where T : struct, Enum;

/// <summary>RoPE types as transformers spells them (longrope, llama3), not as snake_case would.</summary>
internal sealed class RopeTypeConverter : JsonConverter<RopeType>
{
    public override RopeType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && RopeTypeNames.TryParse(reader.GetString()!, out var type)
            ? type
            : throw new JsonException(Expected);

    public static string Expected => $"must be one of {string.Join(", ", Enum.GetValues<RopeType>().Select(t => t.Name()))}";

    public override void Write(Utf8JsonWriter writer, RopeType value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name());
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowOutOfOrderMetadataProperties = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    Converters = [
        typeof(RopeTypeConverter),
        typeof(SnakeCaseEnumConverter<PositionScheme>),
        typeof(SnakeCaseEnumConverter<SelectionMethod>),
        typeof(SnakeCaseEnumConverter<LearningRateDecay>),
        typeof(SnakeCaseEnumConverter<MergeMethod>),
        typeof(SnakeCaseEnumConverter<OptimizerState>),
    ])]
[JsonSerializable(typeof(RunSpec))]
internal sealed partial class RunSpecJsonContext : JsonSerializerContext;
