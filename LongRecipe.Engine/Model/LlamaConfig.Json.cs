using System.Globalization;
using System.Text.Json;
using LongRecipe.Engine.IO;
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
    /// required; the others default as transformers' config classes do. Problems throw a
    /// <see cref="JsonFieldException"/> naming the file and the field; what transformers accepts but is
    /// likely a slip (see <see cref="Doubts"/>) goes to <paramref name="warn"/>, naming the file and the field.
    /// </summary>
    public static LlamaConfig Load(string path, Action<string>? warn = null)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        using var document = JsonField.Parse(File.ReadAllText(file), file);
        var root = JsonField.Root(document, file);
        var config = Read(root, out var ropeSection);
        if (config.Problem(ropeSection) is { } problem) throw root.Error(problem);
        if (warn is not null)
            foreach (var doubt in config.Doubts(root, ropeSection)) warn($"{file}: {doubt}");
        return config;
    }

    /// <summary>
    /// What a config.json may say, and transformers loads, that is likely a slip: a bos_token_id, eos_token_id or
    /// pad_token_id outside [0, vocab_size), which no token of the model has; a top-level rope_theta that disagrees
    /// with the rope_theta of the RoPE object read, which wins (as in transformers 5), so that the top-level one is
    /// dropped (equal values say nothing); keys of the RoPE object its type does not read (see <see cref="UnreadKeys"/>).
    /// </summary>
    private IEnumerable<string> Doubts(JsonField root, string ropeSection)
    {
        if (root.Optional(ropeSection) is { } rope && UnreadKeys(rope, RopeScaling.Type, ropeSection) is { } unread) yield return unread;
        var ids = EosTokenIds.Select(eos => (Field: "eos_token_id", Id: eos)).ToList();
        if (BosTokenId is { } bos) ids.Insert(0, ("bos_token_id", bos));
        if (PadTokenId is { } pad) ids.Add(("pad_token_id", pad));
        foreach (var (field, id) in ids)
            if (id < 0 || id >= VocabSize)
                yield return $"{field} {id} lies outside the vocabulary [0, vocab_size {VocabSize}): no token has that id";
        if (root.Optional("rope_theta")?.Double() is { } top
            && root.Optional(ropeSection)?.Optional("rope_theta")?.Double() is { } inner && inner != top)
            yield return $"rope_theta ({top}) disagrees with {ropeSection}.rope_theta ({inner}); {ropeSection}.rope_theta is used";
    }

    /// <summary>
    /// This config with its RoPE replaced by <paramref name="ropeScalingJson"/>, a rope_scaling object as
    /// config.json writes it (e.g. {"rope_type": "yarn", "factor": 4}): for evaluating a model under a
    /// training-free extension (PI, NTK, YaRN, LongRoPE). θ, the rotary fraction and the original window
    /// stay this config's unless the object sets them. Problems throw a <see cref="JsonFieldException"/>
    /// naming <paramref name="source"/> and the field; keys the type does not read go to <paramref name="warn"/>.
    /// </summary>
    public LlamaConfig WithRopeScaling(string ropeScalingJson, string source = "rope_scaling", Action<string>? warn = null)
    {
        using var document = JsonField.Parse(ropeScalingJson, source);
        var rope = JsonField.Root(document, source);
        var scaling = ReadRope(rope, RopeScaling.Theta, RopeScaling.PartialRotaryFactor, null,
            RopeScaling.OriginalMaxPositionEmbeddings ?? MaxPositionEmbeddings);
        var config = this with { RopeScaling = scaling };
        if (config.Problem("rope_scaling") is { } problem) throw rope.Error(problem);
        if (warn is not null && UnreadKeys(rope, scaling.Type, "rope_scaling") is { } unread) warn($"{source}: {unread}");
        return config;
    }

    /// <summary>
    /// The keys of a RoPE object that its <paramref name="type"/> does not read (<see cref="RopeScaling.Keys"/>), as a
    /// warning naming the <paramref name="section"/>; null when there are none. Ignored, as transformers ignores them
    /// after its "Unrecognized keys" warning: a misspelt beta_fast would otherwise pass without a word.
    /// </summary>
    private static string? UnreadKeys(JsonField rope, RopeType type, string section)
    {
        var keys = RopeScaling.Keys(type);
        var unread = rope.Properties().Select(p => p.Name).Where(name => !keys.Contains(name)).ToList();
        return unread.Count == 0 ? null
            : $"{section} has key{(unread.Count == 1 ? "" : "s")} that rope_type '{type.Name()}' does not read, ignored: {string.Join(", ", unread)} " +
              $"(transformers warns of them too; '{type.Name()}' reads {string.Join(", ", keys)})";
    }

    /// <summary>
    /// A rope_scaling object as a run spec holds it: only the fields that say how the rescaling goes
    /// (<see cref="RopeScaling.ScalingFields"/>); θ and the rotary fraction are the model's, and the original
    /// window stays unset unless given. Problems throw a <see cref="JsonFieldException"/> at the field.
    /// </summary>
    public static RopeScaling ReadRopeScaling(JsonField rope)
    {
        rope.OnlyFields([.. RopeScaling.ScalingFields]);
        return ReadRope(rope, 10_000, 1.0, null, null);
    }

    private static LlamaConfig Read(JsonField root, out string ropeSection)
    {
        var modelType = root.Required("model_type");
        var family = modelType.String() switch
        {
            "llama" => ModelFamily.Llama,
            "mistral" => ModelFamily.Mistral,
            "qwen2" => ModelFamily.Qwen2,
            var other => throw modelType.Invalid($"'{other}' is not supported (expected llama, mistral or qwen2)"),
        };
        if (root.Optional("hidden_act") is { } act && act.String() != "silu")
            throw act.Invalid($"'{act.String()}' is not supported (the Llama family's MLP uses silu)");

        var hidden = root.Required("hidden_size").Int();
        var heads = root.Required("num_attention_heads").Int();
        var headDim = root.Optional("head_dim")?.Int();
        if (headDim is null && heads > 0 && hidden % heads != 0) throw root.Error(DivisibilityProblem(hidden, heads));
        var maxPositions = root.Required("max_position_embeddings").Long();
        var attentionBias = family == ModelFamily.Llama && (root.Optional("attention_bias")?.Bool() ?? false);
        // Absent token ids take the family's defaults (Llama and Mistral: 1 and 2; Qwen2: none); explicit nulls stay null.
        long? defaultBos = family == ModelFamily.Qwen2 ? null : 1;
        long[] defaultEos = family == ModelFamily.Qwen2 ? [] : [2];

        var rope = RopeSection(root, out ropeSection);
        return new LlamaConfig
        {
            ModelType = family,
            VocabSize = root.Required("vocab_size").Int(),
            HiddenSize = hidden,
            IntermediateSize = root.Required("intermediate_size").Int(),
            NumHiddenLayers = root.Required("num_hidden_layers").Int(),
            NumAttentionHeads = heads,
            // transformers' MistralConfig defaults to 8 kv heads, the others to one per query head.
            NumKeyValueHeads = root.Optional("num_key_value_heads")?.Int() ?? (family == ModelFamily.Mistral ? 8 : heads),
            HeadDim = headDim ?? (heads > 0 ? hidden / heads : 0),
            MaxPositionEmbeddings = maxPositions,
            RmsNormEps = root.Optional("rms_norm_eps")?.Double() ?? 1e-6,
            TieWordEmbeddings = root.Bool("tie_word_embeddings", false),
            QkvBias = attentionBias || family == ModelFamily.Qwen2,
            OutputBias = attentionBias,
            MlpBias = family == ModelFamily.Llama && root.Bool("mlp_bias", false),
            InitializerRange = root.Optional("initializer_range")?.Double() ?? 0.02,
            BosTokenId = root.Has("bos_token_id") ? root.Optional("bos_token_id")?.Long() : defaultBos,
            EosTokenIds = root.Has("eos_token_id") ? Ids(root.Optional("eos_token_id")) : defaultEos,
            PadTokenId = root.Optional("pad_token_id")?.Long(),
            Dtype = (root.Optional("dtype") ?? root.Optional("torch_dtype")) is { } dtype ? ParseDtype(dtype) : null,
            SlidingWindow = family switch
            {
                ModelFamily.Mistral => root.Has("sliding_window") ? root.Optional("sliding_window")?.Int() : 4096,
                ModelFamily.Qwen2 when root.Optional("use_sliding_window")?.Bool() == true => root.Optional("sliding_window")?.Int() ?? 4096,
                _ => null,
            },
            RopeScaling = ReadRope(rope, root.Optional("rope_theta")?.Double() ?? 10_000, root.Optional("partial_rotary_factor")?.Double() ?? 1.0,
                root.Optional("original_max_position_embeddings")?.Long(), maxPositions),
        };
    }

    /// <summary>The object RoPE is read from: a non-empty rope_scaling, else rope_parameters (null when neither is written).</summary>
    private static JsonField? RopeSection(JsonField root, out string section)
    {
        static bool Empty(JsonField? field) => field is not { } f || !f.As(JsonValueKind.Object).EnumerateObject().Any();
        var scaling = root.Optional("rope_scaling");
        section = Empty(scaling) ? "rope_parameters" : "rope_scaling";
        var rope = Empty(scaling) ? root.Optional("rope_parameters") : scaling;
        if (rope is { } r && r.As(JsonValueKind.Object).EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Object))
            throw r.Invalid("nested by layer type is not supported (Llama-family layers share one RoPE)");
        return rope;
    }

    /// <summary>
    /// The RoPE settings of <paramref name="rope"/> (plain RoPE when null): θ and the rotary fraction fall back to the
    /// given ones, and for the types that read it (llama3, yarn, longrope) the original window is
    /// <paramref name="topOriginal"/> (Phi-3's top-level field, which transformers 5 prefers), else the object's, else
    /// <paramref name="defaultOriginal"/>.
    /// </summary>
    private static RopeScaling ReadRope(JsonField? rope, double theta, double partialRotaryFactor, long? topOriginal, long? defaultOriginal)
    {
        var typeField = rope?.Optional("rope_type") ?? rope?.Optional("type");
        var name = typeField?.String() ?? "default";
        if (!RopeTypeNames.TryParse(name, out var type))
            throw typeField!.Value.Invalid($"must be one of {string.Join(", ", Enum.GetValues<RopeType>().Select(t => t.Name()))}, got \"{name}\"");
        var settings = new RopeScaling { Type = type };
        double? Number(string field) => rope?.Optional(field)?.Double();
        return settings with
        {
            Theta = Number("rope_theta") ?? theta,
            PartialRotaryFactor = Number("partial_rotary_factor") ?? partialRotaryFactor,
            Factor = Number("factor"),
            OriginalMaxPositionEmbeddings = settings.UsesOriginalWindow
                ? topOriginal ?? rope?.Optional("original_max_position_embeddings")?.Long() ?? defaultOriginal
                : null,
            AttentionFactor = Number("attention_factor"),
            BetaFast = Number("beta_fast"),
            BetaSlow = Number("beta_slow"),
            Mscale = Number("mscale"),
            MscaleAllDim = Number("mscale_all_dim"),
            Truncate = rope?.Optional("truncate")?.Bool(),
            LowFreqFactor = Number("low_freq_factor"),
            HighFreqFactor = Number("high_freq_factor"),
            ShortFactor = rope?.Optional("short_factor")?.Doubles(),
            LongFactor = rope?.Optional("long_factor")?.Doubles(),
            InitialUnscaledTokens = rope?.Optional("initial_unscaled_tokens")?.Long() ?? 0,
        };
    }

    /// <summary>One id or a list of ids (Llama 3.1 lists several end-of-sequence ids); null is none.</summary>
    private static long[] Ids(JsonField? ids) => ids switch
    {
        null => [],
        { Value.ValueKind: JsonValueKind.Array } list => list.Longs(),
        { Value.ValueKind: JsonValueKind.Number } one => [one.Long()],
        { } other => throw other.Invalid($"must be an integer or a list of integers, got {other.Value.GetRawText()}"),
    };

    private static DType ParseDtype(JsonField field) => field.String() switch
    {
        "float32" => DType.Float32,
        "bfloat16" => DType.BFloat16,
        "float16" => DType.Float16,
        "float64" => DType.Float64,
        var name => throw field.Invalid($"'{name}' is not supported (expected float32, bfloat16, float16 or float64)"),
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
        WriteRope(json, rope, legacy: false);
        if (rope.Type != RopeType.Default)
        {
            json.WritePropertyName("rope_scaling");
            WriteRope(json, rope, legacy: true);
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
    internal static void WriteRope(Utf8JsonWriter json, RopeScaling rope, bool legacy)
    {
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
}
