using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Tests.SafeTensors;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Model;

/// <summary>
/// Checkpoints that load but would compute wrongly: one tensor stored in another dtype is converted to the
/// checkpoint's (one F16 among F32 used to load, then fail every forward with "expected scalar type"); a tensor
/// holding NaN is named at load; tensors the config does not use are named. All through the load's warnings, by file
/// and tensor. A shard index that disagrees with its shards is refused.
/// </summary>
public sealed class PretrainedLoadTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A tiny model (or one of <paramref name="config"/>) saved, then its weights file rewritten with <paramref name="change"/> applied to one tensor.</summary>
    private string Saved(string tensor, Func<Tensor, Tensor> change, LlamaConfig? config = null)
    {
        using var model = LlamaModel.Initialize(config ?? LlamaConfig.Tiny(), seed: 3);
        PretrainedModel.Save(model, folder.Path);
        using var scope = DisposeScope.Enter();
        var weights = model.Parameters.Names.ToDictionary(n => n, n => n == tensor ? change(model.Parameters[n]) : model.Parameters[n]);
        SafeTensorsWriter.Write(Path.Combine(folder.Path, PretrainedModel.WeightsFile), weights);
        return folder.Path;
    }

    private static readonly long[] Ids = [1, 5, 9, 14, 2, 7];

    [Fact]
    public void A_tensor_in_another_dtype_is_converted_to_the_checkpoints_and_named()
    {
        const string name = "model.layers.0.mlp.up_proj.weight";
        var directory = Saved(name, t => t.To(DType.Float16));
        var warnings = new List<string>();

        using var model = PretrainedModel.Load(directory, warn: warnings.Add);
        var file = Path.Combine(directory, PretrainedModel.WeightsFile);
        Assert.Equal([$"{file}: tensor '{name}' is f16 among f32 tensors; converted to f32"], warnings);
        Assert.All(model.Parameters.Tensors, p => Assert.Equal(DType.Float32, p.DType));
        // It computes as the model whose tensor went through f16 and back: the one an explicit f32 load gives.
        using var explicitly = PretrainedModel.Load(directory, dtype: DType.Float32);
        Assert.Equal(Scoring.LogProbs(explicitly, Ids), Scoring.LogProbs(model, Ids));
    }

    // An integer tensor used to load (alone, as one converted among floats; all of them, as an i32 model) and fail every
    // forward with "expected scalar type Float but found Int".
    [Theory]
    [InlineData(null)]
    [InlineData(DType.Float32)]
    public void A_tensor_that_is_not_floating_point_is_refused_naming_the_file_and_tensor(DType? dtype)
    {
        const string name = "model.norm.weight";
        var directory = Saved(name, t => t.To(DType.Int32));
        var error = Assert.Throws<ModelLoadException>(() => PretrainedModel.Load(directory, dtype: dtype));
        Assert.Equal($"{Path.Combine(directory, PretrainedModel.WeightsFile)}: tensor '{name}' is i32; weights must be floating point (f32, bf16, f16 or f64)",
            error.Message);
    }

    // The config's shapes used to be listed before the first was looked for: this took 16 GB and minutes, then the machine.
    [Fact]
    public void A_config_asking_for_billions_of_layers_stops_at_the_first_missing_one()
    {
        using (var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 3)) PretrainedModel.Save(model, folder.Path);
        var file = Path.Combine(folder.Path, PretrainedModel.ConfigFile);
        var json = JsonNode.Parse(File.ReadAllText(file))!;
        json["num_hidden_layers"] = int.MaxValue;
        File.WriteAllText(file, json.ToJsonString());
        var error = Assert.Throws<ModelLoadException>(() => PretrainedModel.Load(folder.Path));
        Assert.Equal($"{Path.Combine(folder.Path, PretrainedModel.WeightsFile)}: missing tensor 'model.layers.2.self_attn.q_proj.weight' (expected [32, 32])",
            error.Message);
    }

    // Loading used to copy tensor after tensor until the kernel killed the process.
    [Fact]
    public void Weights_larger_than_the_devices_memory_are_refused_before_loading()
    {
        SparseWeights(TorchRuntime.TotalMemory(Device.Cpu) + (1L << 20));

        var error = Assert.Throws<ModelLoadException>(() => PretrainedModel.Load(folder.Path));
        Assert.StartsWith($"{folder.Path}: the weights in f32 need ", error.Message);
        Assert.EndsWith(" GiB cpu has available", error.Message);
    }

    // The check used to weigh the weights alone against the machine's whole memory, so weights just under it passed while
    // this process, the others and the load's own copies took the rest.
    [Fact]
    public void Weights_that_fit_the_memory_but_not_what_is_available_are_refused_before_loading()
    {
        // Within the total by 16 MiB with the load's own, and what this process already holds is more than that.
        var total = TorchRuntime.TotalMemory(Device.Cpu);
        var weights = SparseWeights(total - (16L << 20) - (long)MemoryBounds.LoadBytes(0, Device.Cpu));
        Assert.True(MemoryBounds.LoadBytes(weights, Device.Cpu) <= total);

        var error = Assert.Throws<ModelLoadException>(() => PretrainedModel.Load(folder.Path));
        Assert.Matches($@"^{Regex.Escape(folder.Path)}: the weights in f32 need [\d,.]+ GiB to load, more than the [\d,.]+ GiB cpu has available$", error.Message);
    }

    /// <summary>
    /// A one-layer f32 model of at most <paramref name="bytes"/> (the embedding takes all but a few KB), returning its size:
    /// a sparse file, so no disk and no memory are spent unless something loads it.
    /// </summary>
    private long SparseWeights(long bytes)
    {
        const int hidden = 1024;
        var vocab = checked((int)(bytes / (hidden * sizeof(float))));
        var config = LlamaConfig.Create(ModelFamily.Llama, vocab, hidden, intermediateSize: 1, layers: 1, heads: 1, headDim: 2, tieWordEmbeddings: true);
        config.Save(folder.Path);
        var header = new JsonObject();
        long offset = 0;
        foreach (var (name, shape) in LlamaModel.ParameterShapes(config))
        {
            var end = offset + shape.Aggregate((long)sizeof(float), (a, b) => a * b);
            header[name] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]), ["data_offsets"] = new JsonArray(offset, end) };
            offset = end;
        }
        using var file = File.Create(Path.Combine(folder.Path, PretrainedModel.WeightsFile));
        file.Write(HandBuilt.File(header.ToJsonString(), []));
        file.SetLength(file.Length + offset);
        return offset;
    }

    // The Lab catches ModelLoadException; a malformed weights file used to escape it as a SafeTensorsFormatException.
    [Fact]
    public void A_malformed_weights_file_is_a_load_error_naming_the_file()
    {
        using (var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 3)) PretrainedModel.Save(model, folder.Path);
        var file = Path.Combine(folder.Path, PretrainedModel.WeightsFile);
        using (var stream = File.OpenWrite(file)) stream.SetLength(stream.Length - 1);
        var error = Assert.Throws<ModelLoadException>(() => PretrainedModel.Load(folder.Path));
        Assert.StartsWith($"{file}: tensor '", error.Message);
        Assert.IsType<SafeTensorsFormatException>(error.InnerException);
    }

    [Fact]
    public void A_tensor_holding_nan_or_infinity_is_named_with_how_many_of_its_values()
    {
        const string name = "model.norm.weight";
        var directory = Saved(name, t =>
        {
            var copy = t.Clone();
            copy.Narrow(0, 0, 2).Fill(double.NaN);
            copy.Narrow(0, 5, 1).Fill(double.PositiveInfinity);
            return copy;
        });
        var warnings = new List<string>();

        using var model = PretrainedModel.Load(directory, warn: warnings.Add);
        Assert.Equal([$"{Path.Combine(directory, PretrainedModel.WeightsFile)}: tensor '{name}' has 3 of {LlamaConfig.Tiny().HiddenSize} values not finite (NaN or ±∞); what it touches computes NaN"],
            warnings);
        Assert.All(Scoring.LogProbs(model, Ids), l => Assert.True(double.IsNaN(l)));
    }

    // Counting used to make isfinite's masks and sum's i64 copy of the whole tensor (13 bytes a bf16 value), which the heap
    // kept: 6.8 GB more for Llama-3-8B's lm_head. A tensor is now cleared by its max and min and counted a slice at a time.
    [Theory]
    [InlineData(new[] { 1_050_000L }, new[] { double.PositiveInfinity })]
    [InlineData(new[] { 1_050_000L }, new[] { double.NegativeInfinity })]
    [InlineData(new[] { 0L, 1_050_000L }, new[] { double.NaN, double.PositiveInfinity })]
    public void Values_not_finite_are_found_alone_at_either_end_and_counted_past_the_first_slice(long[] at, double[] values)
    {
        const string name = "model.embed_tokens.weight";
        // 33000 × 32 values: more than one slice of the count.
        var config = LlamaConfig.Create(ModelFamily.Llama, vocabSize: 33_000, hiddenSize: 32, intermediateSize: 64, layers: 1, heads: 2, kvHeads: 1);
        var directory = Saved(name, t =>
        {
            var copy = t.Clone();
            var flat = copy.View(-1);
            for (var i = 0; i < at.Length; i++) flat.Narrow(0, at[i], 1).Fill(values[i]);
            return copy;
        }, config);
        var warnings = new List<string>();

        using var model = PretrainedModel.Load(directory, warn: warnings.Add);
        Assert.Equal([$"{Path.Combine(directory, PretrainedModel.WeightsFile)}: tensor '{name}' has {at.Length} of 1056000 values not finite (NaN or ±∞); what it touches computes NaN"],
            warnings);
    }

    [Fact]
    public void A_clean_checkpoint_loads_without_a_word()
    {
        var directory = Saved("", t => t);
        var warnings = new List<string>();
        using var model = PretrainedModel.Load(directory, warn: warnings.Add);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Tensors_the_config_does_not_use_are_named_and_left_out()
    {
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 3);
        PretrainedModel.Save(model, folder.Path);
        using var scope = DisposeScope.Enter();
        // A layer past num_hidden_layers (a config cut short), and the rotary buffer older checkpoints carry.
        var extra = $"model.layers.{model.Config.NumHiddenLayers}.mlp.up_proj.weight";
        var weights = model.Parameters.Names.ToDictionary(n => n, n => model.Parameters[n]);
        weights[extra] = model.Parameters["model.layers.0.mlp.up_proj.weight"];
        weights["model.layers.0.self_attn.rotary_emb.inv_freq"] = Tensor.Ones([4]);
        var file = Path.Combine(folder.Path, PretrainedModel.WeightsFile);
        SafeTensorsWriter.Write(file, weights);
        var warnings = new List<string>();

        using var loaded = PretrainedModel.Load(folder.Path, warn: warnings.Add);
        Assert.Equal([$"{file}: 1 tensor(s) the config does not use, left out: '{extra}'"], warnings);
        Assert.Equal(Scoring.LogProbs(model, Ids), Scoring.LogProbs(loaded, Ids));
    }

    [Fact]
    public void Config_fields_transformers_accepts_but_that_are_likely_slips_are_named()
    {
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 3);
        PretrainedModel.Save(model, folder.Path);
        var file = Path.Combine(folder.Path, PretrainedModel.ConfigFile);
        var json = JsonNode.Parse(File.ReadAllText(file))!;
        json["eos_token_id"] = new JsonArray(2, 256);
        json["rope_theta"] = 500_000.0;
        File.WriteAllText(file, json.ToJsonString());
        var warnings = new List<string>();

        using var loaded = PretrainedModel.Load(folder.Path, warn: warnings.Add);
        Assert.Equal([
            $"{file}: eos_token_id 256 lies outside the vocabulary [0, vocab_size 256): no token has that id",
            $"{file}: rope_theta (500000) disagrees with rope_parameters.rope_theta (10000); rope_parameters.rope_theta is used",
        ], warnings);
        Assert.Equal(Scoring.LogProbs(model, Ids), Scoring.LogProbs(loaded, Ids));
    }

    /// <summary>The tiny model saved one tensor a shard; returns the index's path and the shards' names.</summary>
    private (string Index, string[] Shards) SavedInShards()
    {
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 3);
        PretrainedModel.Save(model, folder.Path, maxShardBytes: 1);
        var shards = Directory.GetFiles(folder.Path, "model-*.safetensors").Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.True(shards.Length > 1);
        return (Path.Combine(folder.Path, PretrainedModel.IndexFile), shards);
    }

    [Fact]
    public void An_index_naming_a_tensor_its_shard_lacks_is_refused()
    {
        var (index, shards) = SavedInShards();
        File.WriteAllText(index, File.ReadAllText(index).Replace("\"weight_map\": {", $"\"weight_map\": {{\"foo.weight\": \"{shards[0]}\","));
        var error = Assert.Throws<ModelLoadException>(() => PretrainedModel.Load(folder.Path));
        Assert.Equal($"{index}: weight_map puts tensor 'foo.weight' in {shards[0]}, which has no such tensor", error.Message);
    }

    [Fact]
    public void An_index_naming_a_missing_shard_is_refused_naming_the_index()
    {
        var (index, shards) = SavedInShards();
        File.Delete(Path.Combine(folder.Path, shards[^1]));
        var error = Assert.Throws<ModelLoadException>(() => PretrainedModel.Load(folder.Path));
        Assert.StartsWith($"{index}: weight_map['", error.Message);
        Assert.EndsWith($"'] names {shards[^1]}, which is not in {folder.Path}", error.Message);
    }

    // Both used to escape without the file's name: "The node must be of type 'JsonObject'." and "An item with the same key
    // has already been added." (a tensor that two shards would hold).
    [Theory]
    [InlineData("[]", "the document must be an object, got []")]
    [InlineData("{\"weight_map\": [1]}", "weight_map must be an object, got [1]")]
    [InlineData("{}", "weight_map is missing")]
    [InlineData("{\"weight_map\": {\"lm_head.weight\": \"a.safetensors\", \"lm_head.weight\": \"b.safetensors\"}}",
        "weight_map has 'lm_head.weight' written twice (\"a.safetensors\", then \"b.safetensors\")")]
    public void A_malformed_index_is_refused_naming_the_index_and_field(string json, string problem)
    {
        var (index, _) = SavedInShards();
        File.WriteAllText(index, json);
        var error = Assert.Throws<JsonFieldException>(() => PretrainedModel.Load(folder.Path));
        Assert.StartsWith($"{index}: {problem}", error.Message);
    }

    // An earlier model's special_tokens_map.json used to stay beside the new model's tokenizer, which has none: two tokenizers mixed.
    [Fact]
    public void A_whole_save_replaces_an_earlier_models_tokenizer_files()
    {
        var source = Path.Combine(folder.Path, "source");
        var output = Path.Combine(folder.Path, "output");
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(source, "tokenizer.json"), "{}");
        File.WriteAllText(Path.Combine(output, "tokenizer.json"), "{\"old\": true}");
        File.WriteAllText(Path.Combine(output, "special_tokens_map.json"), "{}");
        File.WriteAllText(Path.Combine(output, "README.md"), "kept");

        using (var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 3)) PretrainedModel.SaveWhole(model, output, source, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(["README.md", PretrainedModel.ConfigFile, PretrainedModel.WeightsFile, "tokenizer.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(output, "tokenizer.json")));
    }
}
