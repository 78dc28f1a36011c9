using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Recipes;

/// <summary>
/// What a spec needs of this machine, checked before a run is queued (<see cref="RunSpec.ResourceProblems"/>): a model
/// directory that is one, with weights that load with its config and its tokenizer; a device that is there; sizes that
/// fit the device's memory. Each broken alone, on copies of the built-in model, is named at its field, with the file or
/// the numbers; broken together, with the spec's rules and corpora, they are named in one refusal.
/// </summary>
public sealed class RunSpecResourceTests : IDisposable
{
    private static readonly string Builtin = Repository.Path("models", "builtin");

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A copy of the built-in model without <paramref name="missing"/> (a file name, or none).</summary>
    private string Model(string missing = "")
    {
        var copy = Path.Combine(folder.Path, $"model-{Directory.GetDirectories(folder.Path).Length}");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(Builtin).Where(f => Path.GetFileName(f) != missing))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    /// <summary>
    /// A copy of the built-in model whose weights file has its header JSON replaced by <paramref name="header"/> of the
    /// one it has, its data kept (cut by <paramref name="cut"/> bytes at the end); returns the weights file.
    /// </summary>
    private string DamagedWeights(Func<JsonObject, string> header, int cut = 0)
    {
        var file = Path.Combine(Model(), PretrainedModel.WeightsFile);
        var bytes = File.ReadAllBytes(file);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var json = Encoding.UTF8.GetBytes(header(JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject()));
        using var stream = File.Create(file);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)json.Length);
        stream.Write(prefix);
        stream.Write(json);
        stream.Write(bytes.AsSpan(8 + length, bytes.Length - 8 - length - cut));
        return file;
    }

    /// <summary>The header with tensor <paramref name="name"/>'s entry changed by <paramref name="change"/>.</summary>
    private static Func<JsonObject, string> Entry(string name, Action<JsonObject> change) => header =>
    {
        change(header[name]!.AsObject());
        return header.ToJsonString();
    };

    private static RunSpec Tiny(string model) => RunPresets.Pose() with
    {
        Model = model, NativeLength = model == RunSpec.BuiltinModel ? 256 : null, TargetLength = 512,
        Stages = [new ExtendStage(new TransformSpec(PositionScheme.Pose), SequenceLength: 256, Steps: 2, MicroBatchSize: 2)],
        Eval = new EvalSpec(Perplexity: new PerplexityEvalSpec([512], Samples: 1)),
    };

    private static SpecProblem Single(RunSpec spec) => Assert.Single(spec.ResourceProblems(Builtin));

    [Fact]
    public void A_spec_this_machine_can_run_has_no_problem()
    {
        Assert.Empty(Tiny(RunSpec.BuiltinModel).ResourceProblems(Builtin));
        Assert.Empty(Tiny(Model()).ResourceProblems(Builtin));
    }

    [Fact]
    public void A_model_that_is_not_a_model_directory_is_named_with_what_it_lacks()
    {
        var nowhere = Path.Combine(folder.Path, "nowhere");
        Assert.Equal(new SpecProblem("model", $"{nowhere}: no such model directory"), Single(Tiny(nowhere)));
        var config = Path.Combine(Model(), "config.json");
        Assert.Equal(new SpecProblem("model", $"{config} is the config file; give its folder, {Path.GetDirectoryName(config)}"), Single(Tiny(config)));
        var weights = Path.Combine(Model(), "model.safetensors");
        Assert.Equal(new SpecProblem("model", $"{weights} is a file; give the model's directory (the folder holding config.json and the weights)"), Single(Tiny(weights)));
        var noConfig = Model("config.json");
        Assert.Equal(new SpecProblem("model", $"{noConfig} has no config.json: not a Hugging Face model directory"), Single(Tiny(noConfig)));
        var noWeights = Model("model.safetensors");
        Assert.Equal(new SpecProblem("model", $"{noWeights}: neither model.safetensors nor model.safetensors.index.json found"), Single(Tiny(noWeights)));
        var noTokenizer = Model("tokenizer.json");
        Assert.Equal(new SpecProblem("model", $"{noTokenizer} has no tokenizer.json, which a run tokenizes its text with"), Single(Tiny(noTokenizer)));
        var broken = Model();
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(broken, "config.json")))!;
        json["vocab_size"] = "many";
        File.WriteAllText(Path.Combine(broken, "config.json"), json.ToJsonString());
        var problem = Single(Tiny(broken));
        Assert.Equal("model", problem.Path);
        Assert.StartsWith($"{Path.Combine(broken, "config.json")}: vocab_size must be an integer", problem.Message);
    }

    /// <summary>
    /// Weights that cannot load with the model's config used to be accepted: the run was queued and failed once training
    /// began. Their headers are read (not their data) and the problem named at model, with the file and the tensor.
    /// </summary>
    [Fact]
    public void Weights_that_do_not_load_with_the_config_are_named_with_the_file_and_the_tensor()
    {
        const string norm = "model.norm.weight";
        foreach (var (file, expected) in new (string, string)[]
                 {
                     (DamagedWeights(Entry(norm, e => e["shape"] = new JsonArray(128, 2))), $"tensor '{norm}' has shape [128, 2], the config implies [256]"),
                     (DamagedWeights(Entry(norm, e => e["dtype"] = "I16")), $"tensor '{norm}' is i16; weights must be floating point (f32, bf16, f16 or f64)"),
                     (DamagedWeights(h => h.ToJsonString().Replace($"\"{norm}\"", "\"model.norm.weights\"")), $"missing tensor '{norm}' (expected [256])"),
                     (DamagedWeights(h => h.ToJsonString(), cut: 1), "tensor 'model.norm.weight': data_offsets [15998976, 15999488] end past the data buffer (15999487 bytes)"),
                     (DamagedWeights(h => h.ToJsonString().Replace("{\"dtype\"", "{dtype")), "header is not valid JSON: "),
                 })
        {
            var problem = Single(Tiny(Path.GetDirectoryName(file)!));
            Assert.Equal("model", problem.Path);
            Assert.StartsWith($"{file}: {expected}", problem.Message);
        }
    }

    /// <summary>
    /// A tokenizer.json that is there but does not load used to be accepted: the run was queued and failed as it started.
    /// It is loaded at launch, and named in the loader's own words (file and field), as is one whose ids outgrow the
    /// embeddings (which failed at the first step meeting such an id, or at the evaluation). A file that loaded once and
    /// then changed is read again.
    /// </summary>
    [Fact]
    public void A_tokenizer_that_does_not_load_or_outgrows_the_embeddings_is_named_with_its_file()
    {
        var changed = Model();
        Assert.Empty(Tiny(changed).ResourceProblems(Builtin));
        File.WriteAllText(Path.Combine(changed, "tokenizer.json"), "{}");
        Assert.Equal(new SpecProblem("model", $"{Path.Combine(changed, "tokenizer.json")}: model is missing"), Single(Tiny(changed)));

        var badConfig = Model();
        File.WriteAllText(Path.Combine(badConfig, "tokenizer_config.json"), """{"bos_token": "<|nope|>"}""");
        Assert.Equal(new SpecProblem("model", $"{Path.Combine(badConfig, "tokenizer_config.json")}: bos_token '<|nope|>' is not a token of the tokenizer"),
            Single(Tiny(badConfig)));

        var wider = Model();
        var tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(wider, "tokenizer.json")))!;
        tokenizer["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 8192, ["content"] = "<|extra|>", ["special"] = true });
        File.WriteAllText(Path.Combine(wider, "tokenizer.json"), tokenizer.ToJsonString());
        Assert.Equal(new SpecProblem("model", $"the tokenizer of {wider} has 8193 ids, more than its config's vocab_size 8192"), Single(Tiny(wider)));
    }

    [Fact]
    public void A_synthetic_corpus_whose_token_ids_no_memory_holds_is_refused_at_its_count()
    {
        // 2·10⁹ documents of 512 + 64 tokens are 4.6 TB of i32 ids; the default 64 are 147 KB.
        var spec = Tiny(RunSpec.BuiltinModel);
        var problem = Single(spec with { Data = spec.Data with { Documents = 2_000_000_000 } });
        Assert.Equal("data.documents", problem.Path);
        Assert.StartsWith("2000000000 synthetic documents of about 576 tokens, as token ids, need 4,291.5 GiB, more than the ", problem.Message);
        Assert.EndsWith(" cpu has", problem.Message);
        // A real corpus draws its documents from what the corpus holds, which its own check counts.
        Assert.Empty((spec with { Data = spec.Data with { Documents = 2_000_000_000, Corpus = Path.Combine(folder.Path, "texts.jsonl") } })
            .ResourceProblems(Builtin));
    }

    [Fact]
    public void A_device_that_is_not_here_is_refused()
    {
        var missing = Device.Cuda(TorchRuntime.CudaDeviceCount);
        var problem = Single(Tiny(RunSpec.BuiltinModel) with { Device = missing });
        Assert.Equal("device", problem.Path);
        Assert.StartsWith($"{missing} is not on this machine", problem.Message);
    }

    [Fact]
    public void Recording_the_step_as_a_cuda_graph_is_refused_where_libtorch_is_too_old()
    {
        if (FusedAdamW.TakesLearningRateOnDevice) Assert.Skip($"libtorch {TorchRuntime.Version} records the trainer's step");
        var spec = Tiny(RunSpec.BuiltinModel);
        spec = spec with { Stages = [((ExtendStage)spec.Stages[0]) with { CudaGraph = true }] };
        var problem = Single(spec);
        Assert.Equal("stages[0].cuda_graph", problem.Path);
        Assert.Equal($"needs libtorch 2.3 or newer (this is {TorchRuntime.Version})", problem.Message);
    }

    /// <summary>Sizes whose memory no device here has, each at its field with the bytes it needs.</summary>
    [Fact]
    public void Sizes_beyond_the_device_memory_are_refused_with_the_numbers()
    {
        var memory = TorchRuntime.TotalMemory(Device.Cpu) / (double)(1L << 30);
        var config = LlamaConfig.Load(Path.Combine(Builtin, "config.json"));
        var spec = Tiny(RunSpec.BuiltinModel);

        var batch = Single(spec with { Stages = [((ExtendStage)spec.Stages[0]) with { MicroBatchSize = 1_000_000_000 }] });
        var logits = 2.0 * 1e9 * 256 * config.VocabSize * 4 / (1L << 30);
        Assert.Equal(new SpecProblem("stages[0].micro_batch_size",
            $"the logits of 1000000000 × 256 tokens over {config.VocabSize} words alone need {logits:#,0.#} GiB, more than the {memory:#,0.#} GiB cpu has"), batch);

        var length = Single(spec with { Eval = new EvalSpec(Perplexity: new PerplexityEvalSpec([512, 10_000_000], Samples: 1)) });
        var forward = (4.0 * 1e7 * (2 * config.HiddenSize + config.IntermediateSize + 2 * config.HeadDim) * 4
            + (TorchRuntime.HasFusedAttention ? 0 : 2.0 * 4 * config.NumAttentionHeads * 1e14 * 4)) / (1L << 30);
        Assert.Equal(new SpecProblem("eval.perplexity.lengths[1]", $"a forward of 4 × 10000000 tokens need {forward:#,0.#} GiB, more than the {memory:#,0.#} GiB cpu has"), length);
    }

    [Fact]
    public void Attention_scores_count_where_libtorch_has_no_fused_attention()
    {
        // 100k tokens: a few GiB of activations, but 2 × 4 × heads × 10¹⁰ f32 scores (terabytes) when attention is written out.
        var spec = Tiny(RunSpec.BuiltinModel);
        var problems = spec with { Eval = new EvalSpec(Passkey: new PasskeyEvalSpec([100_000], Samples: 1)) };
        var refused = problems.ResourceProblems(Builtin).Any(p => p.Path == "eval.passkey.lengths[0]");
        Assert.Equal(!TorchRuntime.HasFusedAttention, refused);
    }

    [Fact]
    public void The_launcher_refuses_such_a_spec_before_it_makes_a_run()
    {
        using var store = RunStore.Open(Path.Combine(folder.Path, "runs.db"));
        var launcher = new RunLauncher(store, Path.Combine(folder.Path, "runs"), Builtin);
        var error = Assert.Throws<RunSpecException>(() => launcher.Create(Tiny(Path.Combine(folder.Path, "nowhere"))));
        Assert.Equal("model", Assert.Single(error.Problems).Path);
        Assert.Empty(store.ListRuns());
    }

    /// <summary>
    /// A bad rule, a missing corpus, damaged weights and a micro-batch past memory are named in one refusal (the launcher
    /// used to stop at the first of rules, corpora and resources); nothing is left in the store or the runs folder.
    /// </summary>
    [Fact]
    public void The_launcher_names_every_problem_in_one_refusal_and_leaves_nothing_behind()
    {
        using var store = RunStore.Open(Path.Combine(folder.Path, "runs.db"));
        var runs = Path.Combine(folder.Path, "runs");
        var launcher = new RunLauncher(store, runs, Builtin);
        var weights = DamagedWeights(Entry("model.norm.weight", e => e["shape"] = new JsonArray(128, 2)));
        var corpus = Path.Combine(folder.Path, "gone.jsonl");
        var spec = Tiny(Path.GetDirectoryName(weights)!);
        spec = spec with
        {
            Data = new DataSpec(Corpus: corpus),
            Stages = [((ExtendStage)spec.Stages[0]) with { LearningRate = 0, MicroBatchSize = 1_000_000_000 }],
        };

        var error = Assert.Throws<RunSpecException>(() => launcher.Create(spec));
        Assert.Equal(["stages[0].learning_rate", "data.corpus", "model", "stages[0].micro_batch_size"], error.Problems.Select(p => p.Path));
        Assert.Equal($"{corpus}: no such file or folder", error.Problems[1].Message);
        Assert.Equal($"{weights}: tensor 'model.norm.weight' has shape [128, 2], the config implies [256]", error.Problems[2].Message);
        Assert.StartsWith("the logits of 1000000000 × 256 tokens", error.Problems[3].Message);
        Assert.Empty(store.ListRuns());
        Assert.False(Directory.Exists(runs));
    }

    /// <summary>
    /// What the machine lacks is not asked of a field whose rule already failed: a corpus path holding a NUL (which .NET
    /// refuses with an exception, not an answer) is named once, by its rule, beside the rest.
    /// </summary>
    [Fact]
    public void A_field_its_rules_refuse_is_not_looked_for_on_the_machine()
    {
        var spec = Tiny(Path.Combine(folder.Path, "nowhere"));
        var problems = (spec with { Data = new DataSpec(Corpus: "a\0b.txt") }).LaunchProblems(null, Builtin);
        Assert.Equal([new SpecProblem("data.corpus", "must not hold a NUL character (no path does)"),
            new SpecProblem("model", $"{Path.Combine(folder.Path, "nowhere")}: no such model directory")], problems);
    }

    [Fact]
    public void A_long_name_is_kept_and_its_folder_takes_a_bounded_prefix()
    {
        using var store = RunStore.Open(Path.Combine(folder.Path, "runs.db"));
        var launcher = new RunLauncher(store, Path.Combine(folder.Path, "runs"), Builtin);
        var name = "ablation: " + new string('a', RunSpec.MaxNameLength - 10);
        var id = launcher.Create(Tiny(RunSpec.BuiltinModel) with { Name = name });
        var run = store.GetRun(id)!;
        Assert.Equal(name, run.Spec.Name);
        // yyyyMMdd-HHmmss-fff, a dash, then 64 characters of the name with ':' and ' ' made file-safe.
        Assert.Equal("ablation--" + new string('a', 54), Path.GetFileName(run.Folder)[20..]);
    }

    [Fact]
    public void A_scheme_setting_the_transform_does_not_read_is_refused()
    {
        var spec = Tiny(RunSpec.BuiltinModel);
        var stage = (ExtendStage)spec.Stages[0];
        var chunks = spec with { Stages = [stage with { Transform = new TransformSpec(PositionScheme.LongRecipe, Chunks: -3) }] };
        Assert.Contains(chunks.Problems(), p => p == new SpecProblem("stages[0].transform.chunks", "is read by pose only; long_recipe has no chunks, got -3"));
        var rt1 = spec with { Stages = [stage with { Transform = new TransformSpec(PositionScheme.Pose, Rt1: 5) }] };
        Assert.Contains(rt1.Problems(), p => p == new SpecProblem("stages[0].transform.rt1", "is read by long_recipe only; pose has no rt1, got 5"));
    }

    [Fact]
    public void The_longest_forward_is_the_last_length_whose_bound_fits()
    {
        var config = LlamaConfig.Load(Path.Combine(Builtin, "config.json"));
        var total = TorchRuntime.TotalMemory(Device.Cpu);
        var longest = MemoryBounds.LongestForward(config, Device.Cpu);
        Assert.True(MemoryBounds.ForwardBytes(config, 1, longest) <= total);
        Assert.True(MemoryBounds.ForwardBytes(config, 1, longest + 1) > total);
    }
}
