using System.Text.Json;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Model;

public sealed class LlamaConfigTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "lr-config-" + Guid.NewGuid().ToString("N"));

    public LlamaConfigTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string json, string name = "config.json")
    {
        var file = Path.Combine(directory, name);
        File.WriteAllText(file, json);
        return file;
    }

    private JsonFieldException LoadFails(string json)
    {
        var file = Write(json);
        var error = Assert.Throws<JsonFieldException>(() => LlamaConfig.Load(file));
        Assert.StartsWith(file + ": ", error.Message);
        return error;
    }

    // ---- both spellings, real files ----------------------------------------------

    private const string Llama2 = """
        {
          "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
          "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 11008, "max_position_embeddings": 4096,
          "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
          "pad_token_id": 0, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "tie_word_embeddings": false,
          "torch_dtype": "float16", "transformers_version": "4.31.0.dev0", "use_cache": true, "vocab_size": 32000
        }
        """;

    [Fact]
    public void Llama2_reads_sizes_defaults_and_plain_rope()
    {
        var config = LlamaConfig.Load(Write(Llama2));
        Assert.Equal(ModelFamily.Llama, config.ModelType);
        Assert.Equal((32000, 4096, 11008, 32, 32, 32), (config.VocabSize, config.HiddenSize, config.IntermediateSize,
            config.NumHiddenLayers, config.NumAttentionHeads, config.NumKeyValueHeads));
        Assert.Equal(128, config.HeadDim);
        Assert.Equal(4096, config.MaxPositionEmbeddings);
        Assert.Equal(1e-5, config.RmsNormEps);
        Assert.Equal(DType.Float16, config.Dtype);
        Assert.Equal((1L, 0L), (config.BosTokenId!.Value, config.PadTokenId!.Value));
        Assert.Equal(new long[] { 2 }, config.EosTokenIds);
        Assert.False(config.QkvBias || config.OutputBias || config.MlpBias || config.TieWordEmbeddings);
        Assert.Equal(new RopeScaling(), config.RopeScaling);
    }

    [Fact]
    public void Llama31_reads_llama3_rope_from_rope_scaling_and_theta_from_the_top_level()
    {
        var config = LlamaConfig.Load(Write("""
            {
              "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
              "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "hidden_act": "silu", "hidden_size": 4096,
              "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 131072, "mlp_bias": false,
              "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
              "pretraining_tp": 1, "rms_norm_eps": 1e-05,
              "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                               "original_max_position_embeddings": 8192, "rope_type": "llama3"},
              "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "use_cache": true,
              "vocab_size": 128256
            }
            """));
        Assert.Equal(8, config.NumKeyValueHeads);
        Assert.Equal(new long[] { 128001, 128008, 128009 }, config.EosTokenIds);
        Assert.Equal(DType.BFloat16, config.Dtype);
        Assert.Equal(new RopeScaling
        {
            Type = RopeType.Llama3, Theta = 500_000, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4,
            OriginalMaxPositionEmbeddings = 8192,
        }, config.RopeScaling);
    }

    [Fact]
    public void Qwen2_has_qkv_bias_without_o_bias_and_ignores_a_disabled_sliding_window()
    {
        var config = LlamaConfig.Load(Write("""
            {
              "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
              "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
              "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24, "model_type": "qwen2",
              "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
              "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
              "use_cache": true, "use_sliding_window": false, "vocab_size": 151936
            }
            """));
        Assert.Equal(ModelFamily.Qwen2, config.ModelType);
        Assert.Equal(64, config.HeadDim);
        Assert.True(config.QkvBias);
        Assert.False(config.OutputBias || config.MlpBias);
        Assert.True(config.TieWordEmbeddings);
        Assert.Null(config.SlidingWindow);
        Assert.Equal(1_000_000, config.RopeScaling.Theta);
    }

    [Fact]
    public void Phi3_style_longrope_takes_the_top_level_original_window_and_the_old_type_key()
    {
        var config = LlamaConfig.Load(Write("""
            {
              "model_type": "llama", "vocab_size": 100, "hidden_size": 32, "intermediate_size": 64,
              "num_hidden_layers": 1, "num_attention_heads": 4, "max_position_embeddings": 131072,
              "original_max_position_embeddings": 4096, "rope_theta": 10000.0,
              "rope_scaling": {"type": "longrope", "short_factor": [1.0, 1.1, 1.2, 1.3], "long_factor": [1, 2, 4, 8]}
            }
            """));
        var rope = config.RopeScaling;
        Assert.Equal(RopeType.LongRope, rope.Type);
        Assert.Equal(4096, rope.OriginalMaxPositionEmbeddings);
        Assert.Null(rope.Factor);
        Assert.Equal(new[] { 1.0, 1.1, 1.2, 1.3 }, rope.ShortFactor!);
        Assert.Equal(new[] { 1.0, 2, 4, 8 }, rope.LongFactor!);
        var attention = Rope.Compute(rope, config.HeadDim, config.MaxPositionEmbeddings).AttentionScaling;
        Assert.Equal(Math.Sqrt(1 + Math.Log(32) / Math.Log(4096)), attention, 12);
    }

    [Fact]
    public void Yarn_in_the_new_rope_parameters_spelling()
    {
        var config = LlamaConfig.Load(Write("""
            {
              "model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896, "intermediate_size": 4864,
              "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2, "max_position_embeddings": 131072,
              "rope_parameters": {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0,
                                  "original_max_position_embeddings": 32768, "beta_fast": 32, "beta_slow": 1}
            }
            """));
        Assert.Equal(new RopeScaling
        {
            Type = RopeType.Yarn, Theta = 1_000_000, Factor = 4, OriginalMaxPositionEmbeddings = 32768, BetaFast = 32, BetaSlow = 1,
        }, config.RopeScaling);
        Assert.Null(config.BosTokenId); // Qwen2 has no default token ids
        Assert.Empty(config.EosTokenIds);
    }

    [Fact]
    public void Old_linear_type_key_and_a_model_directory()
    {
        Write(Llama2.Replace("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}"));
        var config = LlamaConfig.Load(directory);
        Assert.Equal(new RopeScaling { Type = RopeType.Linear, Factor = 4 }, config.RopeScaling);
    }

    [Fact]
    public void A_non_empty_rope_scaling_wins_over_rope_parameters_as_in_transformers_5()
    {
        var config = LlamaConfig.Load(Write(Llama2.Replace("\"rope_scaling\": null",
            "\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2.0}, \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 7.0}")));
        Assert.Equal(RopeType.Linear, config.RopeScaling.Type);
        Assert.Equal(10_000, config.RopeScaling.Theta);
    }

    [Fact]
    public void Mistral_keeps_its_default_sliding_window_unless_set_to_null()
    {
        const string mistral = """
            {"model_type": "mistral", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 32768
             SLIDING}
            """;
        Assert.Equal(4096, LlamaConfig.Load(Write(mistral.Replace("SLIDING", ""))).SlidingWindow);
        Assert.Null(LlamaConfig.Load(Write(mistral.Replace("SLIDING", ", \"sliding_window\": null"))).SlidingWindow);
    }

    // ---- validation ------------------------------------------------------------------

    private static string Minimal(string extra = "", string heads = "32", string hidden = "4096") => $$"""
        {"model_type": "llama", "vocab_size": 32000, "hidden_size": {{hidden}}, "intermediate_size": 11008,
         "num_hidden_layers": 2, "num_attention_heads": {{heads}}, "max_position_embeddings": 4096 {{extra}}}
        """;

    [Fact]
    public void Minimal_config_loads()
    {
        var config = LlamaConfig.Load(Write(Minimal()));
        Assert.Equal((32, 128, 1e-6), (config.NumKeyValueHeads, config.HeadDim, config.RmsNormEps));
    }

    [Theory]
    [InlineData(", \"num_key_value_heads\": 5", "num_key_value_heads (5) must divide num_attention_heads (32)")]
    [InlineData(", \"num_key_value_heads\": 0", "num_key_value_heads (0) must be positive")]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"ntk-by-parts\", \"factor\": 2}",
        "rope_scaling.rope_type must be one of default, linear, dynamic, yarn, llama3, longrope, got \"ntk-by-parts\"")]
    [InlineData(", \"rope_parameters\": {\"rope_type\": \"linear\"}", "rope_parameters.factor is required for rope_type 'linear'")]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"yarn\"}", "rope_scaling.factor is required for rope_type 'yarn'")]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4, \"beta_fast\": 1, \"beta_slow\": 32}",
        "rope_scaling.beta_fast (1) must exceed beta_slow (32)")]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4, \"beta_slow\": 40}",
        "rope_scaling.beta_fast (32) must exceed beta_slow (40)")]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8}",
        "rope_scaling.low_freq_factor is required for rope_type 'llama3'")]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 4, \"high_freq_factor\": 1}",
        "rope_scaling.high_freq_factor (1) must exceed low_freq_factor (4)")]
    [InlineData(", \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1, 1, 1], \"long_factor\": [1, 1, 1]}",
        "rope_scaling.short_factor has 3 values; it needs rotary_dim / 2 = 64")]
    [InlineData(", \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1, 1, 1]}",
        "rope_scaling.long_factor is required for rope_type 'longrope'")]
    [InlineData(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 0.5}", "rope_scaling.factor must be ≥ 1, got 0.5")]
    [InlineData(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2, \"long_factor\": [1]}", "rope_scaling.long_factor is read by longrope only")]
    [InlineData(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": \"4\"}", "rope_scaling.factor must be a finite number, got \"4\"")]
    [InlineData(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4, \"initial_unscaled_tokens\": 4}",
        "rope_scaling.initial_unscaled_tokens is LongRoPE's n̂, read by rope_type 'longrope' only")]
    [InlineData(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4, \"initial_unscaled_tokens\": -1}",
        "rope_scaling.initial_unscaled_tokens (-1) must not be negative")]
    [InlineData(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4, \"initial_unscaled_tokens\": 1.5}",
        "rope_scaling.initial_unscaled_tokens must be an integer, got 1.5")]
    [InlineData(", \"rope_scaling\": \"linear\"", "rope_scaling must be an object, got \"linear\"")]
    [InlineData(", \"rope_theta\": -1", "rope_parameters.rope_theta (-1) must be a positive number")]
    [InlineData(", \"rope_parameters\": {\"full_attention\": {\"rope_type\": \"default\"}}",
        "rope_parameters nested by layer type is not supported")]
    [InlineData(", \"head_dim\": 7", "rotary dimension head_dim × partial_rotary_factor = 7 must be even")]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4, \"original_max_position_embeddings\": 4294967296}",
        "rope_scaling.original_max_position_embeddings must lie in [1, 2147483647], got 4294967296")]
    [InlineData(", \"hidden_act\": \"gelu\"", "hidden_act 'gelu' is not supported")]
    [InlineData(", \"eos_token_id\": \"</s>\"", "eos_token_id must be an integer or a list of integers, got \"</s>\"")]
    [InlineData(", \"pad_token_id\": [0, 1]", "pad_token_id must be an integer, got [0, 1]")] // one id, as transformers' configs declare it
    [InlineData(", \"torch_dtype\": \"int8\"", "dtype 'int8' is not supported")]
    [InlineData(", \"tie_word_embeddings\": 1", "tie_word_embeddings must be true or false, got 1")]
    public void Invalid_fields_name_the_file_and_the_field(string extra, string message) =>
        Assert.Contains(message, LoadFails(Minimal(extra)).Message);

    // What transformers accepts, so that refusing it would refuse loadable models, but is likely a slip: warned of.
    [Theory]
    [InlineData(", \"eos_token_id\": [2, 32000]", "eos_token_id 32000 lies outside the vocabulary [0, vocab_size 32000): no token has that id")]
    [InlineData(", \"eos_token_id\": 40000", "eos_token_id 40000 lies outside the vocabulary [0, vocab_size 32000): no token has that id")]
    [InlineData(", \"bos_token_id\": -1", "bos_token_id -1 lies outside the vocabulary [0, vocab_size 32000): no token has that id")]
    [InlineData(", \"pad_token_id\": 32000", "pad_token_id 32000 lies outside the vocabulary [0, vocab_size 32000): no token has that id")]
    [InlineData(", \"pad_token_id\": -1", "pad_token_id -1 lies outside the vocabulary [0, vocab_size 32000): no token has that id")]
    [InlineData(", \"rope_theta\": 500000.0, \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}",
        "rope_theta (500000) disagrees with rope_parameters.rope_theta (10000); rope_parameters.rope_theta is used")]
    [InlineData(", \"rope_theta\": 10000.0, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2, \"rope_theta\": 20000}",
        "rope_theta (10000) disagrees with rope_scaling.rope_theta (20000); rope_scaling.rope_theta is used")]
    public void Likely_slips_load_with_a_warning_naming_the_file_and_the_field(string extra, string warning)
    {
        var file = Write(Minimal(extra));
        var warnings = new List<string>();
        var config = LlamaConfig.Load(file, warnings.Add);
        Assert.Equal([$"{file}: {warning}"], warnings);
        Assert.Equal(config, LlamaConfig.Load(file));
    }

    // transformers warns "Unrecognized keys in `rope_scaling` for 'rope_type'=...", and reads on without them: so does the engine.
    [Theory]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 4096, \"beta_fst\": 16}",
        "rope_scaling has key that rope_type 'yarn' does not read, ignored: beta_fst")]
    [InlineData(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0, \"beta_fast\": 32, \"finetuned\": true}",
        "rope_scaling has keys that rope_type 'linear' does not read, ignored: beta_fast, finetuned")]
    [InlineData(", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0, \"factor\": 2.0}",
        "rope_parameters has key that rope_type 'default' does not read, ignored: factor")]
    [InlineData(", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, " +
        "\"original_max_position_embeddings\": 1024, \"mscale\": 1.0}", "rope_scaling has key that rope_type 'llama3' does not read, ignored: mscale")]
    public void Rope_keys_its_type_does_not_read_load_with_a_warning_naming_the_file_the_type_and_the_keys(string extra, string warning)
    {
        var file = Write(Minimal(extra));
        var warnings = new List<string>();
        var config = LlamaConfig.Load(file, warnings.Add);
        Assert.StartsWith($"{file}: {warning} (transformers warns of them too; '", Assert.Single(warnings));
        Assert.Equal(config, LlamaConfig.Load(file));
    }

    // Every key transformers 4.x or 5 reads for the type (and the engine's own n̂ for longrope), 'type' as the legacy alias.
    public static TheoryData<string> EveryKeyOfEachRopeType => new()
    {
        ", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0, \"partial_rotary_factor\": 1.0}",
        ", \"rope_scaling\": {\"type\": \"linear\", \"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 10000.0, \"partial_rotary_factor\": 1.0}",
        ", \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0, \"original_max_position_embeddings\": 4096}",
        ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 1024, \"attention_factor\": 1.1, " +
        "\"beta_fast\": 32.0, \"beta_slow\": 1.0, \"mscale\": 1.0, \"mscale_all_dim\": 0.0, \"truncate\": false}",
        ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, " +
        "\"original_max_position_embeddings\": 1024}",
        $", \"rope_scaling\": {{\"rope_type\": \"longrope\", \"factor\": 4.0, \"original_max_position_embeddings\": 1024, \"attention_factor\": 1.2, " +
        $"\"initial_unscaled_tokens\": 4, \"short_factor\": [{Ones(64)}], \"long_factor\": [{Ones(64)}]}}",
    };

    private static string Ones(int count) => string.Join(", ", Enumerable.Repeat("1.0", count));

    [Fact]
    public void A_rope_scaling_override_warns_of_keys_its_type_does_not_read()
    {
        var config = LlamaConfig.Load(Write(Minimal()));
        var warnings = new List<string>();
        var scaled = config.WithRopeScaling("""{"rope_type": "yarn", "factor": 4, "beta_fst": 16}""", "model/config.json with --rope-scaling", warnings.Add);
        Assert.Equal(RopeType.Yarn, scaled.RopeScaling.Type);
        Assert.StartsWith("model/config.json with --rope-scaling: rope_scaling has key that rope_type 'yarn' does not read, ignored: beta_fst (",
            Assert.Single(warnings));
    }

    [Fact]
    public void The_rope_object_keeps_its_theta_over_a_disagreeing_top_level_one()
    {
        var config = LlamaConfig.Load(Write(Minimal(", \"rope_theta\": 500000.0, \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}")));
        Assert.Equal(10_000, config.RopeScaling.Theta);
    }

    [Theory]
    [InlineData(", \"bos_token_id\": 0, \"eos_token_id\": [31999, 2], \"pad_token_id\": 31999")]
    [InlineData(", \"rope_theta\": 500000.0, \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 500000}")]
    [InlineData(", \"rope_theta\": 500000.0")]
    [MemberData(nameof(EveryKeyOfEachRopeType))]
    public void In_range_ids_agreeing_thetas_and_rope_keys_the_type_reads_load_without_a_word(string extra)
    {
        var warnings = new List<string>();
        LlamaConfig.Load(Write(Minimal(extra)), warnings.Add);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Sizes_are_checked()
    {
        Assert.Contains("hidden_size (100) must be divisible by num_attention_heads (32) when head_dim is not given",
            LoadFails(Minimal(hidden: "100")).Message);
        Assert.Contains("num_attention_heads (-4) must be positive", LoadFails(Minimal(heads: "-4")).Message);
        Assert.Contains("hidden_size must be an integer, got \"4096\"", LoadFails(Minimal(hidden: "\"4096\"")).Message);
        Assert.Contains("hidden_size must be an integer, got 4096.5", LoadFails(Minimal(hidden: "4096.5")).Message);
        Assert.Contains("hidden_size must be an integer in [-2147483648, 2147483647], got 1099511627776", LoadFails(Minimal(hidden: "1099511627776")).Message);
        // Lengths are ints past the config: 2^32 + 256 used to load, and a run spec's native length read it as 256.
        Assert.Contains("max_position_embeddings (4294967552) must be at most 2147483647",
            LoadFails(Minimal().Replace("\"max_position_embeddings\": 4096", "\"max_position_embeddings\": 4294967552")).Message);
        Assert.Contains("vocab_size is missing", LoadFails(Minimal().Replace("\"vocab_size\": 32000,", "")).Message);
        Assert.Contains("model_type 'gpt2' is not supported", LoadFails(Minimal().Replace("llama", "gpt2")).Message);
        Assert.Contains("not valid JSON", LoadFails("{\"model_type\": ").Message);
        Assert.Contains("the document must be an object, got []", LoadFails("[]").Message);
    }

    [Fact]
    public void An_explicit_head_dim_frees_hidden_size_from_divisibility()
    {
        var config = LlamaConfig.Load(Write(Minimal(", \"head_dim\": 64", hidden: "100")));
        Assert.Equal(64, config.HeadDim);
    }

    // ---- presets and the builder --------------------------------------------------------

    private static long Parameters(LlamaConfig c)
    {
        long h = c.HiddenSize, q = c.NumAttentionHeads * (long)c.HeadDim, kv = c.NumKeyValueHeads * (long)c.HeadDim;
        var layer = h * q * 2 + h * kv * 2 + 3 * h * c.IntermediateSize + 2 * h;
        return c.VocabSize * h * (c.TieWordEmbeddings ? 1 : 2) + c.NumHiddenLayers * layer + h;
    }

    [Fact]
    public void Presets_have_their_documented_sizes()
    {
        var tiny = LlamaConfig.Tiny();
        Assert.Equal((256, 32, 64, 2, 2, 1, 16, 64L), (tiny.VocabSize, tiny.HiddenSize, tiny.IntermediateSize,
            tiny.NumHiddenLayers, tiny.NumAttentionHeads, tiny.NumKeyValueHeads, tiny.HeadDim, tiny.MaxPositionEmbeddings));
        Assert.InRange(Parameters(LlamaConfig.Llama125M()), 125_000_000, 130_000_000);
        var oneB = LlamaConfig.Llama1B();
        Assert.InRange(Parameters(oneB), 1_230_000_000, 1_250_000_000);
        Assert.Equal(RopeType.Llama3, oneB.RopeScaling.Type);
        // Llama-3-8B's published count: 32 layers of 218,112,000, two 128256 × 4096 tables and the final norm.
        var eightB = LlamaConfig.Llama8B();
        Assert.Equal(8_030_261_248, Parameters(eightB));
        Assert.Equal((128, 8.0, 131072L), (eightB.HeadDim, eightB.RopeScaling.Factor, eightB.MaxPositionEmbeddings));
    }

    [Fact]
    public void Create_fills_the_original_window_and_rejects_bad_shapes()
    {
        var yarn = LlamaConfig.Tiny(rope: new RopeScaling { Type = RopeType.Yarn, Factor = 4 });
        Assert.Equal(64, yarn.RopeScaling.OriginalMaxPositionEmbeddings);
        var error = Assert.Throws<ArgumentException>(() =>
            LlamaConfig.Create(ModelFamily.Llama, 256, 64, 128, layers: 2, heads: 4, kvHeads: 3));
        Assert.Equal("num_key_value_heads (3) must divide num_attention_heads (4)", error.Message);
        Assert.Throws<ArgumentException>(() => LlamaConfig.Create(ModelFamily.Llama, 256, 66, 128, layers: 2, heads: 4));
        Assert.Throws<ArgumentException>(() => (LlamaConfig.Tiny() with { OutputBias = true }).Validate());
    }

    // ---- saving ------------------------------------------------------------------------

    public static TheoryData<string> SavedConfigs => new() { "tiny", "tiny-yarn", "qwen2-longrope", "longrope-n-hat", "mistral-window", "llama1b", "partial" };

    private static LlamaConfig Named(string name) => name switch
    {
        "tiny" => LlamaConfig.Tiny(),
        "tiny-yarn" => LlamaConfig.Tiny(rope: new RopeScaling { Type = RopeType.Yarn, Factor = 4, BetaFast = 16, Truncate = false }),
        "qwen2-longrope" => LlamaConfig.Tiny(ModelFamily.Qwen2, new RopeScaling
        {
            Type = RopeType.LongRope, OriginalMaxPositionEmbeddings = 16, ShortFactor = [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5],
            LongFactor = [1, 2, 3, 4, 5, 6, 7, 8.25],
        }),
        "longrope-n-hat" => LlamaConfig.Tiny(rope: new RopeScaling
        {
            Type = RopeType.LongRope, Factor = 4, OriginalMaxPositionEmbeddings = 16, ShortFactor = [1, 1, 1, 1, 1, 1, 1, 1.5],
            LongFactor = [1, 1.25, 2, 3, 4, 4, 4.5, 5], InitialUnscaledTokens = 4,
        }),
        "mistral-window" => LlamaConfig.Tiny(ModelFamily.Mistral) with { SlidingWindow = 32, Dtype = DType.BFloat16, PadTokenId = null },
        "llama1b" => LlamaConfig.Llama1B() with { EosTokenIds = [128001, 128008, 128009] },
        _ => LlamaConfig.Tiny(rope: new RopeScaling { Type = RopeType.Linear, Factor = 2, PartialRotaryFactor = 0.5 }),
    };

    [Theory]
    [MemberData(nameof(SavedConfigs))]
    public void Save_then_load_gives_the_same_config(string name)
    {
        var config = Named(name);
        var file = config.Save(Path.Combine(directory, name));
        Assert.Equal(Path.Combine(directory, name, "config.json"), file);
        var warnings = new List<string>();
        Assert.Equal(config, LlamaConfig.Load(file, warnings.Add));
        Assert.Empty(warnings); // the legacy rope_theta written beside rope_parameters agrees with it
    }

    [Fact]
    public void Saved_json_carries_rope_parameters_and_the_legacy_keys_with_python_floats()
    {
        var config = LlamaConfig.Tiny(rope: new RopeScaling
        {
            Type = RopeType.Llama3, Theta = 500_000, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 16,
        });
        var text = File.ReadAllText(config.Save(Path.Combine(directory, "llama3.json")));
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        var parameters = root.GetProperty("rope_parameters");
        Assert.Equal("llama3", parameters.GetProperty("rope_type").GetString());
        Assert.Equal(500_000, parameters.GetProperty("rope_theta").GetDouble());
        Assert.Equal(16, parameters.GetProperty("original_max_position_embeddings").GetInt64());
        Assert.Equal(500_000, root.GetProperty("rope_theta").GetDouble());
        var legacy = root.GetProperty("rope_scaling");
        Assert.Equal("llama3", legacy.GetProperty("rope_type").GetString());
        Assert.False(legacy.TryGetProperty("rope_theta", out _));
        Assert.Contains("\"factor\": 8.0", text);
        Assert.Contains("\"rope_theta\": 500000.0", text);
        Assert.Contains("\"original_max_position_embeddings\": 16,", text);
        Assert.Equal(new[] { "LlamaForCausalLM" }, root.GetProperty("architectures").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(16, root.GetProperty("head_dim").GetInt32());
        var keys = root.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
    }

    [Fact]
    public void Default_rope_writes_no_rope_scaling()
    {
        var text = File.ReadAllText(LlamaConfig.Tiny().Save(directory));
        Assert.DoesNotContain("rope_scaling", text);
        Assert.Contains("\"rope_parameters\": {\n    \"rope_theta\": 10000.0,\n    \"rope_type\": \"default\"\n  }", text);
    }

    [Fact]
    public void Longrope_n_hat_is_written_only_when_set_and_read_back()
    {
        var rope = Named("longrope-n-hat").RopeScaling;
        using (var json = JsonDocument.Parse(File.ReadAllText(Named("longrope-n-hat").Save(Path.Combine(directory, "n-hat.json")))))
        {
            Assert.Equal(4, json.RootElement.GetProperty("rope_scaling").GetProperty("initial_unscaled_tokens").GetInt64());
            Assert.Equal(4, json.RootElement.GetProperty("rope_parameters").GetProperty("initial_unscaled_tokens").GetInt64());
        }
        var plain = LlamaConfig.Tiny(rope: rope with { InitialUnscaledTokens = 0 });
        var text = File.ReadAllText(plain.Save(Path.Combine(directory, "no-n-hat.json")));
        Assert.DoesNotContain("initial_unscaled_tokens", text);
        Assert.Equal(0, LlamaConfig.Load(Path.Combine(directory, "no-n-hat.json")).RopeScaling.InitialUnscaledTokens);
    }

    [Fact]
    public void Only_n_hat_above_zero_is_something_transformers_cannot_express()
    {
        var rope = Named("longrope-n-hat").RopeScaling;
        Assert.Null((rope with { InitialUnscaledTokens = 0 }).TransformersProblem());
        Assert.Null(Named("tiny-yarn").RopeScaling.TransformersProblem());
        var problem = rope.TransformersProblem();
        Assert.NotNull(problem);
        Assert.StartsWith("rope_scaling.initial_unscaled_tokens = 4 (LongRoPE's n̂) cannot be exported for transformers", problem);
        Assert.Contains("positions 0–3", problem);
    }
}
