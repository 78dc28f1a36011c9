using System.Text.Json;
using System.Text.Json.Nodes;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Model;

/// <summary>A model directory could not be loaded; the message names the file and the tensor or field.</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Hugging Face model directories: config.json beside model.safetensors, or beside shards listed
/// in model.safetensors.index.json. Loading reads one tensor at a time straight from the mapped
/// file into the requested dtype and device; saving writes what from_pretrained reads.
/// </summary>
public static class PretrainedModel
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>transformers' default max_shard_size, 5 GB.</summary>
    public const long DefaultShardBytes = 5_000_000_000;

    /// <summary>
    /// Loads the model in <paramref name="dtype"/> on <paramref name="device"/>; <paramref name="ropeScaling"/>, a
    /// rope_scaling JSON object, replaces the checkpoint's RoPE (see <see cref="LlamaConfig.WithRopeScaling"/>). Without a
    /// dtype the checkpoint's own is kept, the one most of its tensors have: a tensor stored in another (one F16 among
    /// BF16) is converted to it, since one model computes in one dtype. <paramref name="warn"/> hears of each converted
    /// tensor and of each tensor holding NaN or ±∞ (which makes whatever it touches NaN), by file and name.
    /// </summary>
    public static LlamaModel Load(string directory, Device? device = null, DType? dtype = null, string? ropeScaling = null,
        Action<string>? warn = null)
    {
        RequireDirectory(directory);
        var config = LlamaConfig.Load(Path.Combine(directory, ConfigFile));
        if (ropeScaling is not null) config = config.WithRopeScaling(ropeScaling, $"{Path.Combine(directory, ConfigFile)} with --rope-scaling");
        var fileOf = WeightFiles(directory);
        var opened = new Dictionary<string, SafeTensorsFile>();
        var parameters = new Parameters();
        try
        {
            var entries = new List<(string Name, string File, SafeTensorsEntry Entry)>();
            foreach (var (name, shape) in LlamaModel.ParameterShapes(config))
            {
                if (fileOf(name) is not { } file)
                    throw new ModelLoadException(
                        $"{Path.Combine(directory, IndexFile)}: weight_map has no tensor '{name}' (expected [{string.Join(", ", shape)}])");
                if (!opened.TryGetValue(file, out var weights))
                    opened[file] = weights = SafeTensorsFile.Open(file);
                if (!weights.Contains(name))
                    throw new ModelLoadException($"{file}: missing tensor '{name}' (expected [{string.Join(", ", shape)}])");
                var entry = weights.GetEntry(name);
                if (!entry.Shape.SequenceEqual(shape))
                    throw new ModelLoadException(
                        $"{file}: tensor '{name}' has shape [{string.Join(", ", entry.Shape)}], the config implies [{string.Join(", ", shape)}]");
                entries.Add((name, file, entry));
            }
            var target = dtype ?? entries.GroupBy(e => e.Entry.DType).MaxBy(g => g.Count())!.Key;
            foreach (var (name, file, entry) in entries)
            {
                if (entry.DType != target && dtype is null)
                    warn?.Invoke($"{file}: tensor '{name}' is {entry.DType.ShortName()} among {target.ShortName()} tensors; converted to {target.ShortName()}");
                var tensor = opened[file].Load(name, target, device);
                parameters.Add(name, tensor);
                if (warn is not null && NonFinite(tensor) is > 0 and var count)
                    warn($"{file}: tensor '{name}' has {count} of {tensor.NumElements} values not finite (NaN or ±∞); what it touches computes NaN");
            }
            return new LlamaModel(config, parameters);
        }
        catch
        {
            parameters.Dispose();
            throw;
        }
        finally
        {
            foreach (var weights in opened.Values) weights.Dispose();
        }
    }

    private static long NonFinite(Tensor tensor)
    {
        using var scope = DisposeScope.Enter();
        return tensor.IsFinite().LogicalNot().Sum().ToInt64();
    }

    /// <summary>What keeps <paramref name="path"/> from being a model directory (missing, a file, no config.json, no weights), or null.</summary>
    public static string? DirectoryProblem(string path)
    {
        if (File.Exists(path))
            return Path.GetFileName(path) == ConfigFile
                ? $"{path} is the config file; give its folder, {Path.GetDirectoryName(Path.GetFullPath(path))}"
                : $"{path} is a file; give the model's directory (the folder holding {ConfigFile} and the weights)";
        if (!Directory.Exists(path)) return $"{path}: no such model directory";
        if (!File.Exists(Path.Combine(path, ConfigFile))) return $"{path} has no {ConfigFile}: not a Hugging Face model directory";
        if (!File.Exists(Path.Combine(path, WeightsFile)) && !File.Exists(Path.Combine(path, IndexFile)))
            return $"{path}: neither {WeightsFile} nor {IndexFile} found";
        return null;
    }

    /// <summary>Throws a <see cref="ModelLoadException"/> saying what keeps <paramref name="path"/> from being a model directory.</summary>
    public static void RequireDirectory(string path)
    {
        if (DirectoryProblem(path) is { } problem) throw new ModelLoadException(problem);
    }

    /// <summary>The tokenizer's files a Hugging Face model directory carries beside the weights.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    /// <summary>Copies the tokenizer files <paramref name="from"/> has into <paramref name="to"/> (a trained or merged model keeps its tokenizer).</summary>
    public static void CopyTokenizer(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var name in TokenizerFiles.Where(n => File.Exists(Path.Combine(from, n))))
            File.Copy(Path.Combine(from, name), Path.Combine(to, name), overwrite: true);
    }

    /// <summary>
    /// Writes config.json and the weights, as one model.safetensors or, above
    /// <paramref name="maxShardBytes"/>, as shards with an index, replacing an earlier save's files.
    /// </summary>
    public static void Save(LlamaModel model, string directory, long maxShardBytes = DefaultShardBytes)
    {
        Directory.CreateDirectory(directory);
        var shards = Shard(model.Parameters, maxShardBytes);
        foreach (var stale in Directory.EnumerateFiles(directory, "model*.safetensors*")) File.Delete(stale);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        if (shards.Count == 1)
        {
            SafeTensorsWriter.Write(Path.Combine(directory, WeightsFile), shards[0], metadata);
        }
        else
        {
            var weightMap = new JsonObject();
            for (var i = 0; i < shards.Count; i++)
            {
                var name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                SafeTensorsWriter.Write(Path.Combine(directory, name), shards[i], metadata);
                foreach (var tensor in shards[i].Keys) weightMap[tensor] = name;
            }
            var index = new JsonObject
            {
                ["metadata"] = new JsonObject { ["total_size"] = model.Parameters.Tensors.Sum(Bytes) },
                ["weight_map"] = weightMap,
            };
            File.WriteAllText(Path.Combine(directory, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        (model.Config with { Dtype = model.DType }).Save(Path.Combine(directory, ConfigFile));
    }

    /// <summary>Tensor name → the file that should hold it (null when the index names none).</summary>
    private static Func<string, string?> WeightFiles(string directory)
    {
        var single = Path.Combine(directory, WeightsFile);
        var indexPath = Path.Combine(directory, IndexFile);
        if (File.Exists(single)) return _ => single;
        if (!File.Exists(indexPath))
            throw new ModelLoadException($"{directory}: neither {WeightsFile} nor {IndexFile} found");
        JsonNode? index;
        try
        {
            index = JsonNode.Parse(File.ReadAllText(indexPath));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{indexPath}: not valid JSON ({e.Message})", e);
        }
        if (index?["weight_map"] is not JsonObject map)
            throw new ModelLoadException($"{indexPath}: weight_map missing or not an object");
        var files = new Dictionary<string, string>();
        foreach (var (name, file) in map)
        {
            if (file is not JsonValue value || !value.TryGetValue<string>(out var shard) || shard.Contains('/') || shard.Contains(".."))
                throw new ModelLoadException($"{indexPath}: weight_map['{name}'] must name a file in the directory");
            files[name] = Path.Combine(directory, shard);
        }
        return files.GetValueOrDefault;
    }

    /// <summary>Splits the tensors, in order, into groups of at most maxBytes each (a larger tensor gets a shard of its own).</summary>
    private static List<Dictionary<string, Tensor>> Shard(Parameters parameters, long maxBytes)
    {
        var shards = new List<Dictionary<string, Tensor>> { new() };
        long size = 0;
        foreach (var name in parameters.Names)
        {
            var tensor = parameters[name];
            if (size > 0 && size + Bytes(tensor) > maxBytes)
            {
                shards.Add([]);
                size = 0;
            }
            shards[^1][name] = tensor;
            size += Bytes(tensor);
        }
        return shards;
    }

    private static long Bytes(Tensor t) => t.NumElements * t.DType.ElementSize();
}
