using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Recipes;

// Reading and writing run specs as snake_case JSON.
public sealed partial record RunSpec
{
    /// <summary>The spec as indented snake_case JSON; nulls are left out.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RunSpecJsonContext.Default.RunSpec);

    /// <summary>Writes the spec to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, this, RunSpecJsonContext.Default.RunSpec));

    /// <summary>Reads and validates a spec file; problems throw a <see cref="RunSpecException"/> naming the file and each field.</summary>
    public static RunSpec Load(string path) => Parse(ReadSpecText(path), path);

    /// <summary>A spec file's text; a file that cannot be read is a <see cref="RunSpecException"/> naming it.</summary>
    internal static string ReadSpecText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunSpecException(path, [new SpecProblem("", $"cannot be read ({e.Message})")]);
        }
    }

    /// <summary>
    /// Reads and validates a spec from JSON text. Every problem is reported at once, each naming its JSON
    /// path (<c>stages[1].learning_rate: must be &gt; 0</c>): those of shape (a misspelt field, a value of the wrong type)
    /// and the rules' problems of the top-level fields whose shape is right; <paramref name="source"/> (a file name)
    /// prefixes them when given. Specs written with earlier names (<see cref="Upgraded"/>) read as the same spec.
    /// </summary>
    public static RunSpec Parse(string json, string? source = null)
    {
        var (spec, problems) = ParseWithProblems(json, source);
        return problems.Count == 0 ? spec : throw new RunSpecException(source, problems);
    }

    /// <summary>
    /// The spec <see cref="Parse"/> reads, with the problems it would throw for instead of throwing (a field of the wrong
    /// shape stands at its default), so that a launch names them in one answer with what the machine lacks
    /// (<see cref="LaunchProblems"/>). Text that reads as no spec at all still throws.
    /// </summary>
    public static (RunSpec Spec, IReadOnlyList<SpecProblem> Problems) ParseWithProblems(string json, string? source = null)
    {
        var (spec, shape, illShaped) = ParseShaped(json, RunSpecJsonContext.Default.RunSpec, source, Upgraded);
        return (spec, [.. shape, .. spec.Problems(illShaped)]);
    }

    /// <summary><see cref="ParseWithProblems"/> for a spec file; one that cannot be read, or is no spec, throws naming it.</summary>
    public static (RunSpec Spec, IReadOnlyList<SpecProblem> Problems) LoadWithProblems(string path) => ParseWithProblems(ReadSpecText(path), path);

    /// <summary>
    /// Any spec type of <see cref="RunSpecJsonContext"/> (a run spec, an experiment spec) from JSON, brought to
    /// today's names by <paramref name="upgrade"/> when given, its shape checked field by field first; the caller
    /// checks the values' rules. Shape problems come back with the spec read without the top-level fields holding them
    /// (<see cref="WithoutFields"/>), whose names come back too, so that the rules of the rest can still be checked; a
    /// <see cref="RunSpecException"/> lists the shape problems where not even that reads (the text is not an object).
    /// </summary>
    internal static (T Spec, IReadOnlyList<SpecProblem> Shape, IReadOnlySet<string> IllShaped) ParseShaped<T>(string json, JsonTypeInfo<T> info,
        string? source, Func<string, List<SpecProblem>, string>? upgrade = null)
        where T : class
    {
        var shape = new List<SpecProblem>();
        try
        {
            // A field written twice: JSON readers differ on which one counts, so neither is taken. It is left out before
            // the upgrade, which reads the text as one object.
            using (var document = JsonDocument.Parse(json))
                foreach (var (holder, key) in new JsonField(document.RootElement, source ?? "", "").RepeatedKeys())
                    shape.Add(new SpecProblem(Join(holder.Path, key), "is written twice; give it once"));
            if (shape.Count > 0) json = WithoutFields(json, info, TopFields(shape)) ?? throw new RunSpecException(source, shape);
            if (upgrade is not null) json = upgrade(json, shape);
            using (var document = JsonDocument.Parse(json))
                CheckShape(document.RootElement, info, "", shape);
            var illShaped = TopFields(shape);
            var readable = illShaped.Count == 0 ? json : WithoutFields(json, info, illShaped);
            var spec = readable is null ? null : JsonSerializer.Deserialize(readable, info);
            return spec is null ? throw new RunSpecException(source, shape.Count > 0 ? shape : [new SpecProblem("", "must be a JSON object, got null")])
                : (spec, shape, illShaped);
        }
        catch (JsonException e)
        {
            throw new RunSpecException(source, shape.Count > 0 ? shape : [FromJsonException(e)]);
        }
    }

    /// <summary>The top-level fields the problems are at (<see cref="TopField"/>).</summary>
    private static HashSet<string> TopFields(IEnumerable<SpecProblem> problems) => [.. problems.Select(p => TopField(p.Path))];

    /// <summary>The top-level field a JSON path is in, e.g. "stages" for stages[1].steps; "" for the whole spec.</summary>
    internal static string TopField(string path) => path[..(path.IndexOfAny(['.', '[']) is var end and >= 0 ? end : path.Length)];

    /// <summary>
    /// The JSON object without the top-level <paramref name="fields"/>: each takes its default, a required one a
    /// placeholder (an empty string, list or object, a zero) that lets the rest deserialize and that no rule is to judge.
    /// Null where the text is not an object or a required field has no placeholder; an object placeholder whose type
    /// cannot be read from {} makes the serializer throw, which reports the shape problems alone.
    /// </summary>
    private static string? WithoutFields(string json, JsonTypeInfo info, IReadOnlySet<string> fields)
    {
        using var document = JsonDocument.Parse(json);
        if (fields.Contains("") || document.RootElement.ValueKind != JsonValueKind.Object) return null;
        var kept = new JsonObject();
        foreach (var property in document.RootElement.EnumerateObject())
            if (!fields.Contains(property.Name)) kept[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        foreach (var field in info.Properties.Where(p => fields.Contains(p.Name) && IsRequired(p)))
        {
            var type = field.PropertyType;
            JsonNode? placeholder = type == typeof(string) ? JsonValue.Create("") : ElementType(type) is not null ? new JsonArray()
                : type == typeof(int) || type == typeof(long) || type == typeof(double) ? JsonValue.Create(0)
                : info.Options.GetTypeInfo(type).Kind == JsonTypeInfoKind.Object ? new JsonObject() : null;
            if (placeholder is null) return null;
            kept[field.Name] = placeholder;
        }
        return kept.ToJsonString();
    }

    /// <summary>The training stages' earlier field names, before they took the trainer's (<see cref="TrainerOptions"/>).</summary>
    private static readonly (string Old, string New)[] StageRenames =
    [
        ("lr", "learning_rate"), ("min_lr", "min_learning_rate"), ("batch_size", "micro_batch_size"),
        ("grad_accum", "gradient_accumulation"), ("schedule", "decay"),
    ];

    /// <summary>
    /// The spec in today's names, so that specs already stored (runs.db, a run folder's spec.json) still load:
    /// dtype "float32" and "bfloat16" read as f32 and bf16; an extend or anneal stage's lr, min_lr, batch_size,
    /// grad_accum and schedule as its learning_rate, min_learning_rate, micro_batch_size, gradient_accumulation and decay; a
    /// transform's target_length, once a copy of the run's, is dropped (a different one is a problem); a merge stage's
    /// alpha and density as <see cref="WithoutUnreadMergeDefaults"/> leaves them.
    /// </summary>
    private static string Upgraded(string json, List<SpecProblem> problems)
    {
        if (JsonNode.Parse(json) is not JsonObject spec) return json;
        if (spec["dtype"] is JsonValue dtype && dtype.TryGetValue<string>(out var name) && name is "float32" or "bfloat16")
            spec["dtype"] = name == "float32" ? "f32" : "bf16";
        if (spec["stages"] is JsonArray stages)
            foreach (var (stage, index) in stages.Select((s, i) => (s, i)))
            {
                if (stage is not JsonObject fields) continue;
                var kind = Kind(fields);
                if (kind == "merge") WithoutUnreadMergeDefaults(fields);
                if (kind is not ("extend" or "anneal")) continue;
                foreach (var (old, current) in StageRenames)
                    if (fields.Remove(old, out var value))
                    {
                        if (fields.ContainsKey(current)) problems.Add(new SpecProblem($"stages[{index}].{old}", $"is the old name of {current}; give one of them"));
                        else fields[current] = value;
                    }
                if (fields["transform"] is JsonObject transform && transform.Remove("target_length", out var length)
                    && length?.ToJsonString() != spec["target_length"]?.ToJsonString())
                    problems.Add(new SpecProblem($"stages[{index}].transform.target_length",
                        $"the transform spans the run's target_length ({spec["target_length"]?.ToJsonString()}); leave this out, got {length?.ToJsonString()}"));
            }
        return spec.ToJsonString();
    }

    /// <summary>An experiment's methods with their merge stages' alpha and density as <see cref="WithoutUnreadMergeDefaults"/> leaves them.</summary>
    internal static string UpgradedMethods(string json, List<SpecProblem> problems)
    {
        if (JsonNode.Parse(json) is not JsonObject experiment || experiment["methods"] is not JsonArray methods) return json;
        foreach (var stages in methods.OfType<JsonObject>().Select(m => m["stages"]).OfType<JsonArray>())
            foreach (var merge in stages.OfType<JsonObject>().Where(s => Kind(s) == "merge"))
                WithoutUnreadMergeDefaults(merge);
        return experiment.ToJsonString();
    }

    /// <summary>A stage's kind, or null where it is not a string (which the shape check then names at stages[i].kind).</summary>
    private static string? Kind(JsonObject stage) => stage["kind"] is JsonValue kind && kind.TryGetValue<string>(out var name) ? name : null;

    /// <summary>
    /// Earlier builds wrote a merge stage's alpha and density whatever its method, at their defaults (0.5 and 0.2) when
    /// not given: a stage holding both at those values has the ones its method does not read removed, so that stored
    /// specs load now that a value the method ignores is refused. (Both written by hand at those values read the same.)
    /// </summary>
    private static void WithoutUnreadMergeDefaults(JsonObject merge)
    {
        // The methods' snake_case names are single words, the enum's in lower case; one the shape check refuses is left be.
        var method = new MergeStage().Method;
        if (merge["method"] is { } given && !(given is JsonValue value && value.TryGetValue<string>(out var name) && Enum.TryParse(name, ignoreCase: true, out method)))
            return;
        var defaults = new MergeSpec();
        if (!Is(merge["alpha"], defaults.Alpha) || !Is(merge["density"], defaults.Density)) return;
        var spec = new MergeSpec(method);
        if (!spec.ReadsAlpha) merge.Remove("alpha");
        if (!spec.ReadsDensity) merge.Remove("density");

        static bool Is(JsonNode? node, double expected) => node is JsonValue v && v.TryGetValue<double>(out var d) && d == expected;
    }

    /// <summary>
    /// Walks the document beside the serializer's own metadata, so that a misspelt or missing field, a value of
    /// the wrong type and an unknown stage kind are each reported at their path, in the spec's own words,
    /// before the serializer sees them.
    /// </summary>
    private static void CheckShape(JsonElement element, JsonTypeInfo info, string path, List<SpecProblem> problems)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (type == typeof(RopeScaling))
        {
            // The model's own reader, so the spec's rope_scaling reads as a config.json's does.
            try
            {
                LlamaConfig.ReadRopeScaling(new JsonField(element, "spec", path));
            }
            catch (JsonFieldException e)
            {
                problems.Add(new SpecProblem(e.Field ?? path, e.Problem ?? e.Message));
            }
            return;
        }
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
        // Properties computed from the others and never written (is_training_free, stage_names) are not fields a spec
        // sets; computed ones the JSON carries for its readers (a criterion's maximize) are read back as written.
        var known = info.Properties.Where(p => p.Get is not null || p.Set is not null || p.AssociatedParameter is not null).ToDictionary(p => p.Name);
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
            if (IsRequired(field) && !element.TryGetProperty(field.Name, out _))
                problems.Add(new SpecProblem(Join(path, field.Name), "missing (required)"));
    }

    private static bool IsRequired(JsonPropertyInfo field) => field.IsRequired || field.AssociatedParameter is { HasDefaultValue: false };

    /// <summary>What is wrong with a scalar value for <paramref name="type"/>; null when it fits or the type is not a scalar.</summary>
    private static string? ValueProblem(JsonElement value, Type type)
    {
        var kind = value.ValueKind;
        if (type == typeof(string)) return kind == JsonValueKind.String ? null : "must be a string";
        if (type == typeof(bool)) return kind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
        if (type == typeof(int))
            return kind == JsonValueKind.Number && value.TryGetInt32(out _) ? null
                : kind == JsonValueKind.Number && value.TryGetInt64(out _) ? $"must be an integer in [{int.MinValue}, {int.MaxValue}]" : "must be an integer";
        if (type == typeof(long)) return kind == JsonValueKind.Number && value.TryGetInt64(out _) ? null : "must be an integer";
        if (type == typeof(ulong)) return kind == JsonValueKind.Number && value.TryGetUInt64(out _) ? null : "must be a non-negative integer";
        // 1e400 is JSON but not a double: it would read as ∞.
        if (type == typeof(double)) return kind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number) ? null : "must be a finite number";
        if (type == typeof(Device)) return kind == JsonValueKind.String && DeviceConverter.TryParse(value.GetString()!, out _) ? null : DeviceConverter.Expected;
        if (type == typeof(DType)) return kind == JsonValueKind.String && DTypeConverter.TryParse(value.GetString()!, out _) ? null : DTypeConverter.Expected;
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

    /// <summary>
    /// Whether the problem is at <paramref name="path"/>, inside it or around it: one at stages[0] touches stages[0].steps and
    /// stages, not stages[1]; one at the whole spec ("") touches every field.
    /// </summary>
    public bool Touches(string path) => Within(Path, path) || Within(path, Path);

    private static bool Within(string inner, string outer) =>
        outer.Length == 0 || inner.StartsWith(outer, StringComparison.Ordinal) && (inner.Length == outer.Length || inner[outer.Length] is '.' or '[');
}

/// <summary>A spec that cannot run; the message lists every problem, prefixed by <see cref="File"/> when the spec came from one.</summary>
public sealed class RunSpecException(string? source, IReadOnlyList<SpecProblem> problems)
    : Exception(string.Join(Environment.NewLine, problems.Select(p => source is null ? p.ToString() : $"{source}: {p}")))
{
    public string? File { get; } = source;
    public IReadOnlyList<SpecProblem> Problems { get; } = problems;
}

/// <summary>The base model's RoPE rescaling as config.json writes rope_scaling, read and written by the model's own code.</summary>
internal sealed class RopeScalingConverter : JsonConverter<RopeScaling>
{
    public override RopeScaling Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        try
        {
            return LlamaConfig.ReadRopeScaling(new JsonField(document.RootElement, "spec", "rope_scaling"));
        }
        catch (JsonFieldException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, RopeScaling value, JsonSerializerOptions options) =>
        LlamaConfig.WriteRope(writer, value, legacy: true);
}

/// <summary>Devices as the command line types them: "cpu", "cuda" or "cuda:N".</summary>
internal sealed class DeviceConverter : JsonConverter<Device>
{
    public const string Expected = "must be cpu, cuda or cuda:N";

    public static bool TryParse(string text, out Device device)
    {
        try
        {
            device = Device.Parse(text);
            return true;
        }
        catch (FormatException)
        {
            device = default;
            return false;
        }
    }

    public override Device Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && TryParse(reader.GetString()!, out var device) ? device : throw new JsonException(Expected);

    public override void Write(Utf8JsonWriter writer, Device value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

/// <summary>The dtypes a run computes in, by the short names the command line uses (f32, bf16).</summary>
internal sealed class DTypeConverter : JsonConverter<DType>
{
    public static string Expected => $"must be {string.Join(" or ", RunSpec.Dtypes.Select(d => d.ShortName()))}";

    public static bool TryParse(string text, out DType dtype)
    {
        foreach (var candidate in RunSpec.Dtypes)
            if (candidate.ShortName() == text)
            {
                dtype = candidate;
                return true;
            }
        dtype = default;
        return false;
    }

    public override DType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && TryParse(reader.GetString()!, out var dtype) ? dtype : throw new JsonException(Expected);

    public override void Write(Utf8JsonWriter writer, DType value, JsonSerializerOptions options) => writer.WriteStringValue(value.ShortName());
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
        typeof(RopeScalingConverter),
        typeof(DeviceConverter),
        typeof(DTypeConverter),
        typeof(SnakeCaseEnumConverter<PositionScheme>),
        typeof(SnakeCaseEnumConverter<SelectionMethod>),
        typeof(SnakeCaseEnumConverter<LearningRateDecay>),
        typeof(SnakeCaseEnumConverter<MergeMethod>),
        typeof(SnakeCaseEnumConverter<OptimizerState>),
        typeof(SnakeCaseEnumConverter<ExperimentRole>),
        typeof(SnakeCaseEnumConverter<CorpusSplit>),
    ])]
[JsonSerializable(typeof(RunSpec))]
[JsonSerializable(typeof(ExperimentSpec))]
internal sealed partial class RunSpecJsonContext : JsonSerializerContext;
