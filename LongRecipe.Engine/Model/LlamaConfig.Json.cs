using System.Globalization;
using System.Text.Json;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

// Reading and writing Hugging Face config.json files.
public sealed partial record LlamaConfig
{
    /// <summary>
    /// Reads a config.json (or the one in a model directory). Both RoPE spellings are read:
    /// transformers 5's <c>rope_parameters</c> {rope_type, rope_theta, …} and the older top-level
    /// <c>rope_theta</c> with <c>rope_scaling</c> {type or rope_type, …}; as in transformers 5, a
    /// non-empty rope_scaling wins over rope_parameters, and a top-level
    /// original_max_position_embeddings (Phi-3's) over the one inside. The size fields are
    /// required; the others default as transformers' config classes do. Problems throw
    /// <see cref="InvalidDataException"/> naming the file and the field.
    /// </summary>
    public static LlamaConfig Load(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(file));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{file}: the top level must be a JSON object");
            var root = new Fields(document.RootElement, "", file);
            var config = Read(root, out var ropeSection);
            return config.Problem(ropeSection) is { } problem ? throw root.Error(problem) : config;
        }
    }

    /// <summary>
    /// This config with its RoPE replaced by <paramref name="ropeScalingJson"/>, a rope_scaling object as
    /// config.json writes it (e.g. {"rope_type": "yarn", "factor": 4}): for evaluating a model under a
    /// training-free extension (PI, NTK, YaRN, LongRoPE). θ, the rotary fraction and the original window
    /// stay this config's unless the object sets them. Problems throw <see cref="InvalidDataException"/>
    /// naming <paramref name="source"/> and the field.
    /// </summary>
    public LlamaConfig WithRopeScaling(string ropeScalingJson, string source = "rope_scaling")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(ropeScalingJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{source}: rope_scaling must be a JSON object");
            // Read as the rope_scaling of a config.json whose top level carries this config's defaults.
            var wrapped = new System.Text.Json.Nodes.JsonObject
            {
                ["rope_scaling"] = System.Text.Json.Nodes.JsonNode.Parse(document.RootElement.GetRawText()),
                ["rope_theta"] = RopeScaling.Theta,
                ["partial_rotary_factor"] = RopeScaling.PartialRotaryFactor,
            };
            // A top-level original window would win over the object's own (Phi-3's rule), so it is given only as a default.
            if (!document.RootElement.TryGetProperty("original_max_position_embeddings", out _))
                wrapped["original_max_position_embeddings"] = RopeScaling.OriginalMaxPositionEmbeddings;
            using var combined = JsonDocument.Parse(wrapped.ToJsonString());
            var root = new Fields(combined.RootElement, "", source);
            var config = this with { RopeScaling = ReadRope(root, MaxPositionEmbeddings, out var section) };
            return config.Problem(section) is { } problem ? throw root.Error(problem) : config;
        }
    }

    private static LlamaConfig Read(Fields root, out string ropeSection)
    {
        var family = root.RequiredString("model_type") switch
        {
            "llama" => ModelFamily.Llama,
            "mistral" => ModelFamily.Mistral,
            "qwen2" => ModelFamily.Qwen2,
            var other => throw root.Error($"model_type '{other}' is not supported (expected llama, mistral or qwen2)"),
        };
        if (root.String("hidden_act") is { } act && act != "silu")
            throw root.Error($"hidden_act '{act}' is not supported (the Llama family's MLP uses silu)");

        var hidden = root.RequiredInt("hidden_size");
        var heads = root.RequiredInt("num_attention_heads");
        var headDim = root.Int("head_dim");
        if (headDim is null && heads > 0 && hidden % heads != 0) throw root.Error(DivisibilityProblem(hidden, heads));
        var maxPositions = root.RequiredLong("max_position_embeddings");
        var attentionBias = family == ModelFamily.Llama && (root.Bool("attention_bias") ?? false);
        // Absent token ids take the family's defaults (Llama and Mistral: 1 and 2; Qwen2: none); explicit nulls stay null.
        long? defaultBos = family == ModelFamily.Qwen2 ? null : 1;
        long[] defaultEos = family == ModelFamily.Qwen2 ? [] : [2];

        return new LlamaConfig
        {
            ModelType = family,
            VocabSize = root.RequiredInt("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = root.RequiredInt("intermediate_size"),
            NumHiddenLayers = root.RequiredInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            // transformers' MistralConfig defaults to 8 kv heads, the others to one per query head.
            NumKeyValueHeads = root.Int("num_key_value_heads") ?? (family == ModelFamily.Mistral ? 8 : heads),
            HeadDim = headDim ?? (heads > 0 ? hidden / heads : 0),
            MaxPositionEmbeddings = maxPositions,
            RmsNormEps = root.Double("rms_norm_eps") ?? 1e-6,
            TieWordEmbeddings = root.Bool("tie_word_embeddings") ?? false,
            QkvBias = attentionBias || family == ModelFamily.Qwen2,
            OutputBias = attentionBias,
            MlpBias = family == ModelFamily.Llama && (root.Bool("mlp_bias") ?? false),
            InitializerRange = root.Double("initializer_range") ?? 0.02,
            BosTokenId = root.Present("bos_token_id") ? root.Long("bos_token_id") : defaultBos,
            EosTokenIds = root.Present("eos_token_id") ? root.Longs("eos_token_id") : defaultEos,
            PadTokenId = root.Long("pad_token_id"),
            Dtype = (root.String("dtype") ?? root.String("torch_dtype")) is { } dtype ? ParseDtype(root, dtype) : null,
            SlidingWindow = family switch
            {
                ModelFamily.Mistral => root.Present("sliding_window") ? root.Int("sliding_window") : 4096,
                ModelFamily.Qwen2 when root.Bool("use_sliding_window") == true => root.Int("sliding_window") ?? 4096,
                _ => null,
            },
            RopeScaling = ReadRope(root, maxPositions, out ropeSection),
        };
    }

    private static RopeScaling ReadRope(Fields root, long maxPositions, out string section)
    {
        var scaling = root.Object("rope_scaling");
        section = scaling is { IsEmpty: false } ? "rope_scaling" : "rope_parameters";
        var rope = scaling is { IsEmpty: false } ? scaling : root.Object("rope_parameters") ?? Fields.None;
        if (rope.HasObjectValue)
            throw root.Error($"{section} nested by layer type is not supported (Llama-family layers share one RoPE)");

        var name = rope.String("rope_type") ?? rope.String("type") ?? "default";
        if (!RopeTypeNames.TryParse(name, out var type))
            throw root.Error($"{section}.rope_type '{name}' is not supported (expected default, linear, dynamic, yarn, llama3 or longrope)");
        var settings = new RopeScaling { Type = type };
        return settings with
        {
            Theta = rope.Double("rope_theta") ?? root.Double("rope_theta") ?? 10_000,
            PartialRotaryFactor = rope.Double("partial_rotary_factor") ?? root.Double("partial_rotary_factor") ?? 1.0,
            Factor = rope.Double("factor"),
            // transformers 5 fills the original window for exactly these types, preferring Phi-3's top-level field.
            OriginalMaxPositionEmbeddings = settings.UsesOriginalWindow
                ? root.Long("original_max_position_embeddings") ?? rope.Long("original_max_position_embeddings") ?? maxPositions
                : null,
            AttentionFactor = rope.Double("attention_factor"),
            BetaFast = rope.Double("beta_fast"),
            BetaSlow = rope.Double("beta_slow"),
            Mscale = rope.Double("mscale"),
            MscaleAllDim = rope.Double("mscale_all_dim"),
            Truncate = rope.Bool("truncate"),
            LowFreqFactor = rope.Double("low_freq_factor"),
            HighFreqFactor = rope.Double("high_freq_factor"),
            ShortFactor = rope.Doubles("short_factor"),
            LongFactor = rope.Doubles("long_factor"),
            InitialUnscaledTokens = rope.Long("initial_unscaled_tokens") ?? 0,
        };
    }

    private static DType ParseDtype(Fields root, string name) => name switch
    {
        "float32" => DType.Float32,
        "bfloat16" => DType.BFloat16,
        "float16" => DType.Float16,
        "float64" => DType.Float64,
        _ => throw root.Error($"dtype '{name}' is not supported (expected float32, bfloat16, float16 or float64)"),
    };

    private static string DtypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.BFloat16 => "bfloat16",
        DType.Float16 => "float16",
        DType.Float64 => "float64",
        _ => throw new ArgumentException($"weights cannot be stored as {dtype.ShortName()}"),
    };

    /// <summary>
    /// Writes config.json into a model directory (created if needed), or to <paramref name="path"/>
    /// itself when it names a .json file, replacing any old file atomically; returns the file written.
    /// RoPE goes under <c>rope_parameters</c>, the spelling transformers 5 writes and reads first. The
    /// legacy top-level <c>rope_theta</c> and, for scaled types, <c>rope_scaling</c> (the same settings)
    /// are written too, so that transformers 4 and tools that predate 5 read the same RoPE: transformers 5
    /// takes rope_theta only where rope_parameters lacks one, and a rope_scaling equal to
    /// rope_parameters changes nothing.
    /// </summary>
    public string Save(string path)
    {
        Validate();
        var file = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path : Path.Combine(path, "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var temporary = file + ".tmp";
        using (var stream = File.Create(temporary))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            Write(json);
        File.Move(temporary, file, overwrite: true);
        return file;
    }

    // Keys in alphabetical order, as transformers writes them.
    private void Write(Utf8JsonWriter json)
    {
        var rope = RopeScaling;
        json.WriteStartObject();
        json.WriteStartArray("architectures");
        json.WriteStringValue(ModelType switch
        {
            ModelFamily.Llama => "LlamaForCausalLM",
            ModelFamily.Mistral => "MistralForCausalLM",
            _ => "Qwen2ForCausalLM",
        });
        json.WriteEndArray();
        if (ModelType == ModelFamily.Llama) json.WriteBoolean("attention_bias", QkvBias);
        WriteFloat(json, "attention_dropout", 0);
        WriteOptional(json, "bos_token_id", BosTokenId);
        if (Dtype is { } dtype) json.WriteString("dtype", DtypeName(dtype));
        json.WritePropertyName("eos_token_id");
        if (EosTokenIds.Count == 1) json.WriteNumberValue(EosTokenIds[0]);
        else if (EosTokenIds.Count == 0) json.WriteNullValue();
        else
        {
            json.WriteStartArray();
            foreach (var id in EosTokenIds) json.WriteNumberValue(id);
            json.WriteEndArray();
        }
        json.WriteNumber("head_dim", HeadDim);
        json.WriteString("hidden_act", "silu");
        json.WriteNumber("hidden_size", HiddenSize);
        WriteFloat(json, "initializer_range", InitializerRange);
        json.WriteNumber("intermediate_size", IntermediateSize);
        json.WriteNumber("max_position_embeddings", MaxPositionEmbeddings);
        if (ModelType == ModelFamily.Llama) json.WriteBoolean("mlp_bias", MlpBias);
        json.WriteString("model_type", ModelType switch
        {
            ModelFamily.Llama => "llama",
            ModelFamily.Mistral => "mistral",
            _ => "qwen2",
        });
        json.WriteNumber("num_attention_heads", NumAttentionHeads);
        json.WriteNumber("num_hidden_layers", NumHiddenLayers);
        json.WriteNumber("num_key_value_heads", NumKeyValueHeads);
        WriteOptional(json, "pad_token_id", PadTokenId);
        // transformers 5 copies a top-level partial_rotary_factor into the RoPE settings it reads.
        if (rope.PartialRotaryFactor != 1) WriteFloat(json, "partial_rotary_factor", rope.PartialRotaryFactor);
        WriteFloat(json, "rms_norm_eps", RmsNormEps);
        json.WritePropertyName("rope_parameters");
        WriteRope(json, legacy: false);
        if (rope.Type != RopeType.Default)
        {
            json.WritePropertyName("rope_scaling");
            WriteRope(json, legacy: true);
        }
        WriteFloat(json, "rope_theta", rope.Theta);
        // Mistral's default window is 4096, so "none" must be written as null.
        if (ModelType != ModelFamily.Llama) WriteOptional(json, "sliding_window", SlidingWindow);
        json.WriteBoolean("tie_word_embeddings", TieWordEmbeddings);
        json.WriteBoolean("use_cache", true);
        if (ModelType == ModelFamily.Qwen2) json.WriteBoolean("use_sliding_window", SlidingWindow is not null);
        json.WriteNumber("vocab_size", VocabSize);
        json.WriteEndObject();
    }

    /// <summary>The RoPE settings, sorted; the legacy rope_scaling form leaves θ and the partial factor to the top level.</summary>
    private void WriteRope(Utf8JsonWriter json, bool legacy)
    {
        var rope = RopeScaling;
        json.WriteStartObject();
        WriteOptional(json, "attention_factor", rope.AttentionFactor);
        WriteOptional(json, "beta_fast", rope.BetaFast);
        WriteOptional(json, "beta_slow", rope.BetaSlow);
        WriteOptional(json, "factor", rope.Factor);
        WriteOptional(json, "high_freq_factor", rope.HighFreqFactor);
        // LongRoPE's n̂, which transformers cannot express: written only when set, so n̂ = 0 stays its longrope byte for byte.
        if (rope.InitialUnscaledTokens > 0) json.WriteNumber("initial_unscaled_tokens", rope.InitialUnscaledTokens);
        WriteList(json, "long_factor", rope.LongFactor);
        WriteOptional(json, "low_freq_factor", rope.LowFreqFactor);
        WriteOptional(json, "mscale", rope.Mscale);
        WriteOptional(json, "mscale_all_dim", rope.MscaleAllDim);
        if (rope.OriginalMaxPositionEmbeddings is { } original) json.WriteNumber("original_max_position_embeddings", original);
        if (!legacy && rope.PartialRotaryFactor != 1) WriteFloat(json, "partial_rotary_factor", rope.PartialRotaryFactor);
        if (!legacy) WriteFloat(json, "rope_theta", rope.Theta);
        json.WriteString("rope_type", rope.Type.Name());
        WriteList(json, "short_factor", rope.ShortFactor);
        if (rope.Truncate is { } truncate) json.WriteBoolean("truncate", truncate);
        json.WriteEndObject();
    }

    /// <summary>Writes a float so that Python reads a float (4.0, not 4), as transformers' own files have it.</summary>
    private static void WriteFloat(Utf8JsonWriter json, string name, double value)
    {
        json.WritePropertyName(name);
        // "R" writes 1E-06 where Python writes 1e-06; both parse, the second reads as Python's own.
        var text = value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        json.WriteRawValue(text.Contains('.') || text.Contains('e') ? text : text + ".0");
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v) WriteFloat(json, name, v);
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, int? value) => WriteOptional(json, name, (long?)value);

    private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyList<double>? values)
    {
        if (values is null) return;
        // Plain numbers keep the array indented (raw values are not); Python reads 4 and 4.0 alike here.
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    /// <summary>Typed access to one JSON object's fields; every mismatch names the file and the field.</summary>
    private sealed class Fields(JsonElement element, string prefix, string file)
    {
        public bool IsEmpty => !element.EnumerateObject().Any();

        public bool HasObjectValue => element.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Object);

        public InvalidDataException Error(string message) => new($"{file}: {message}");

        /// <summary>Whether the field is written at all (null included).</summary>
        public bool Present(string name) => element.TryGetProperty(name, out _);

        /// <summary>An object without fields, standing in for an absent one.</summary>
        public static readonly Fields None = new(EmptyObject(), "", "");

        private static JsonElement EmptyObject()
        {
            using var document = JsonDocument.Parse("{}");
            return document.RootElement.Clone();
        }

        private JsonElement? Value(string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private InvalidDataException WrongType(string name, string expected, JsonElement value) =>
            Error($"{prefix}{name} must be {expected}, got {value.GetRawText()}");

        public Fields? Object(string name) => Value(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Object } value => new Fields(value, name + ".", file),
            { } value => throw WrongType(name, "an object or null", value),
        };

        public string? String(string name) => Value(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } value => value.GetString(),
            { } value => throw WrongType(name, "a string", value),
        };

        public string RequiredString(string name) => String(name) ?? throw Error($"{prefix}{name} is missing");

        public long? Long(string name) => Value(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var n) => n,
            { } value => throw WrongType(name, "an integer", value),
        };

        public long RequiredLong(string name) => Long(name) ?? throw Error($"{prefix}{name} is missing");

        public int? Int(string name) => Long(name) switch
        {
            null => null,
            var n and >= int.MinValue and <= int.MaxValue => (int)n,
            var n => throw Error($"{prefix}{name} ({n}) is out of range"),
        };

        public int RequiredInt(string name) => Int(name) ?? throw Error($"{prefix}{name} is missing");

        public double? Double(string name) => Value(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } value => value.GetDouble(),
            { } value => throw WrongType(name, "a number", value),
        };

        public bool? Bool(string name) => Value(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { } value => throw WrongType(name, "true or false", value),
        };

        public double[]? Doubles(string name) => Value(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Array } value when value.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number) =>
                value.EnumerateArray().Select(x => x.GetDouble()).ToArray(),
            { } value => throw WrongType(name, "a list of numbers", value),
        };

        /// <summary>One id or a list of ids (Llama 3.1 lists several end-of-sequence ids).</summary>
        public long[] Longs(string name) => Value(name) switch
        {
            null => [],
            { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var n) => [n],
            { ValueKind: JsonValueKind.Array } value
                when value.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out _)) =>
                value.EnumerateArray().Select(x => x.GetInt64()).ToArray(),
            { } value => throw WrongType(name, "an integer or a list of integers", value),
        };
    }
}
