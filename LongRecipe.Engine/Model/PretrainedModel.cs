using System.Text.Json;
using System.Text.Json.Nodes;
using LongRecipe.Engine.IO;
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
    /// tensor, of each tensor holding NaN or ±∞ (which makes whatever it touches NaN), and of tensors the config does not
    /// use, by file and name; and of what config.json (or <paramref name="ropeScaling"/>) says that transformers accepts but
    /// is likely a slip (see <see cref="LlamaConfig.Load"/>), by file and field.
    /// </summary>
    public static LlamaModel Load(string directory, Device? device = null, DType? dtype = null, string? ropeScaling = null,
        Action<string>? warn = null)
    {
        RequireDirectory(directory);
        var config = LlamaConfig.Load(Path.Combine(directory, ConfigFile), warn);
        if (ropeScaling is not null) config = config.WithRopeScaling(ropeScaling, $"{Path.Combine(directory, ConfigFile)} with --rope-scaling", warn);
        var (fileOf, indexed) = WeightFiles(directory);
        var opened = new Dictionary<string, SafeTensorsFile>();
        var parameters = new Parameters();
        try
        {
            var entries = CheckedEntries(directory, config, fileOf, indexed, opened);
            if (warn is not null) WarnUnused(config, entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal), opened.Values, fileOf, warn);
            var target = dtype ?? entries.GroupBy(e => e.Entry.DType).MaxBy(g => g.Count())!.Key;
            // Checked before the first copy out of the map: weights past the memory left would meet the kernel's OOM killer,
            // which takes the whole process (the Lab, a queue of runs) rather than throwing.
            var bytes = entries.Sum(e => (double)e.Entry.ByteLength / e.Entry.DType.ElementSize() * target.ElementSize());
            if (MemoryBounds.LoadProblem(bytes, $"the weights in {target.ShortName()}", device ?? Device.Cpu) is { } tooLarge)
                throw new ModelLoadException($"{directory}: {tooLarge}");
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
        catch (SafeTensorsFormatException e)
        {
            // One exception type for every way a model directory fails to load, so that callers catch one.
            parameters.Dispose();
            throw new ModelLoadException(e.Message, e);
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

    /// <summary>
    /// What in the weight files keeps the model directory from loading with <paramref name="config"/>, as <see cref="Load"/>
    /// would say it (the file, and the tensor or field); null when nothing does. Reads the files' headers, not the weights:
    /// a run checks this before it is queued.
    /// </summary>
    public static string? WeightsProblem(string directory, LlamaConfig config)
    {
        var opened = new Dictionary<string, SafeTensorsFile>();
        try
        {
            var (fileOf, indexed) = WeightFiles(directory);
            CheckedEntries(directory, config, fileOf, indexed, opened);
            return null;
        }
        catch (Exception e) when (e is ModelLoadException or SafeTensorsFormatException or JsonFieldException or IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
        finally
        {
            foreach (var weights in opened.Values) weights.Dispose();
        }
    }

    /// <summary>
    /// The header entry of every tensor <paramref name="config"/> needs, in its order, each where the index puts it, shaped
    /// as the config implies and floating point; every file opened (into <paramref name="opened"/>, which the caller
    /// disposes) is a well-formed safetensors file whose tensors tile its data to the last byte, so a truncated one fails
    /// here. Nothing past the headers is read. Throws a <see cref="ModelLoadException"/> or <see cref="SafeTensorsFormatException"/>
    /// naming the file and the tensor.
    /// </summary>
    private static List<(string Name, string File, SafeTensorsEntry Entry)> CheckedEntries(string directory, LlamaConfig config,
        Func<string, string?> fileOf, IReadOnlyDictionary<string, string> indexed, Dictionary<string, SafeTensorsFile> opened)
    {
        SafeTensorsFile Open(string file) => opened.TryGetValue(file, out var weights) ? weights : opened[file] = SafeTensorsFile.Open(file);
        foreach (var (name, file) in indexed)
            if (!Open(file).Contains(name))
                throw new ModelLoadException($"{Path.Combine(directory, IndexFile)}: weight_map puts tensor '{name}' in {Path.GetFileName(file)}, which has no such tensor");
        var entries = new List<(string Name, string File, SafeTensorsEntry Entry)>();
        // Walked lazily, so that a config asking for more than the files hold (num_hidden_layers 2000000000) stops at the first
        // missing tensor instead of listing billions of names first.
        foreach (var (name, shape) in LlamaModel.ParameterShapes(config))
        {
            if (fileOf(name) is not { } file)
                throw new ModelLoadException(
                    $"{Path.Combine(directory, IndexFile)}: weight_map has no tensor '{name}' (expected [{string.Join(", ", shape)}])");
            var weights = Open(file);
            if (!weights.Contains(name))
                throw new ModelLoadException($"{file}: missing tensor '{name}' (expected [{string.Join(", ", shape)}])");
            var entry = weights.GetEntry(name);
            if (!entry.Shape.SequenceEqual(shape))
                throw new ModelLoadException(
                    $"{file}: tensor '{name}' has shape [{string.Join(", ", entry.Shape)}], the config implies [{string.Join(", ", shape)}]");
            // Integer or boolean bytes are no weights: converting them would load a model that computes nonsense.
            if (!entry.DType.IsFloatingPoint())
                throw new ModelLoadException($"{file}: tensor '{name}' is {entry.DType.ShortName()}; weights must be floating point (f32, bf16, f16 or f64)");
            entries.Add((name, file, entry));
        }
        return entries;
    }

    /// <summary>The values the non-finite count takes at a time: its temporaries are then at most <see cref="ScanBytes"/>.</summary>
    private const long ScanSlice = 1 << 20;

    /// <summary>
    /// What counting one slice holds: isfinite's |x| and three masks, the negation, and sum's i64 copy of it, at most
    /// 8 + 4 + 8 bytes a value (f64): 20 MiB.
    /// </summary>
    public const long ScanBytes = ScanSlice * 20;

    /// <summary>
    /// How many of the tensor's values are NaN or ±∞. amax and amin carry NaN and ±∞ through without a temporary the
    /// tensor's size, so two reads clear a finite tensor; one that is not is counted a slice at a time, as counting it whole
    /// would take 13 bytes a bf16 value (6.8 GB for Llama-3-8B's lm_head) on top of the weights, which the heap then keeps.
    /// </summary>
    private static long NonFinite(Tensor tensor)
    {
        using var scope = DisposeScope.Enter();
        if (tensor.NumElements == 0 || double.IsFinite(tensor.Max().ToDouble()) && double.IsFinite(tensor.Min().ToDouble())) return 0;
        var flat = tensor.Flatten();
        long count = 0;
        for (long start = 0; start < flat.NumElements; start += ScanSlice)
        {
            using var slice = DisposeScope.Enter();
            count += flat.Narrow(0, start, Math.Min(ScanSlice, flat.NumElements - start)).IsFinite().LogicalNot().Sum().ToInt64();
        }
        return count;
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
    public static void Save(LlamaModel model, string directory, long maxShardBytes = DefaultShardBytes) => Save(model, directory, maxShardBytes, default);

    /// <summary><see cref="Save(LlamaModel, string, long)"/>, checking <paramref name="cancel"/> before each shard (for <see cref="SaveWhole"/>, which discards a cancelled save).</summary>
    private static void Save(LlamaModel model, string directory, long maxShardBytes, CancellationToken cancel)
    {
        Directory.CreateDirectory(directory);
        var shards = Shard(model.Parameters, maxShardBytes);
        RemoveWeights(directory);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        if (shards.Count == 1)
        {
            cancel.ThrowIfCancellationRequested();
            SafeTensorsWriter.Write(Path.Combine(directory, WeightsFile), shards[0], metadata);
        }
        else
        {
            var weightMap = new JsonObject();
            for (var i = 0; i < shards.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
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

    /// <summary>
    /// <see cref="Save"/> with <paramref name="tokenizerFrom"/>'s tokenizer files, whole or not at all: written into a hidden
    /// folder beside <paramref name="directory"/> (".name.*.tmp") and moved into it file by file only once all are written,
    /// so a cancel or an error leaves the directory as it was (an earlier save's files, if any), and a kill at worst a
    /// hidden leftover.
    /// </summary>
    public static void SaveWhole(LlamaModel model, string directory, string tokenizerFrom, long maxShardBytes = DefaultShardBytes,
        CancellationToken cancel = default)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Save(model, temporary, maxShardBytes, cancel);
            CopyTokenizer(tokenizerFrom, temporary);
            cancel.ThrowIfCancellationRequested();
            // Renames only from here on, on one file system: an earlier save's weights and tokenizer give way to the new ones,
            // so that its special_tokens_map.json, say, is not left beside a tokenizer.json that has none.
            Directory.CreateDirectory(full);
            RemoveWeights(full);
            foreach (var stale in TokenizerFiles) File.Delete(Path.Combine(full, stale));
            foreach (var file in Directory.GetFiles(temporary)) File.Move(file, Path.Combine(full, Path.GetFileName(file)), overwrite: true);
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
    }

    /// <summary>Removes a directory's weight files and index, so that a save with fewer shards leaves none of the earlier ones.</summary>
    private static void RemoveWeights(string directory)
    {
        foreach (var stale in Directory.EnumerateFiles(directory, "model*.safetensors*")) File.Delete(stale);
    }

    /// <summary>
    /// Tensor name → the file that should hold it (null when the index names none), and the index's entries (none for a
    /// single file). Every shard the index names must exist; whether it holds its tensors is checked as it is opened.
    /// </summary>
    private static (Func<string, string?> FileOf, IReadOnlyDictionary<string, string> Indexed) WeightFiles(string directory)
    {
        var single = Path.Combine(directory, WeightsFile);
        var indexPath = Path.Combine(directory, IndexFile);
        if (File.Exists(single)) return (_ => single, new Dictionary<string, string>());
        if (!File.Exists(indexPath))
            throw new ModelLoadException($"{directory}: neither {WeightsFile} nor {IndexFile} found");
        // JsonField refuses a top level that is no object and a tensor named twice (which shard would hold it?), at the field.
        using var document = JsonField.Parse(File.ReadAllText(indexPath), indexPath);
        var map = JsonField.Root(document, indexPath).Required("weight_map");
        var files = new Dictionary<string, string>();
        foreach (var (name, file) in map.Properties())
        {
            var shard = file.Value.ValueKind == JsonValueKind.String ? file.String() : null;
            if (shard is null || shard.Contains('/') || shard.Contains(".."))
                throw new ModelLoadException($"{indexPath}: weight_map['{name}'] must name a file in the directory");
            if (!File.Exists(Path.Combine(directory, shard)))
                throw new ModelLoadException($"{indexPath}: weight_map['{name}'] names {shard}, which is not in {directory}");
            files[name] = Path.Combine(directory, shard);
        }
        return (files.GetValueOrDefault, files);
    }

    /// <summary>
    /// Warns of the tensors the checkpoint holds that the config does not use (more layers than num_hidden_layers, biases
    /// the config turns off, a second copy in another shard), as transformers does: they are left out, which changes
    /// the model if the config is the mistake. Rotary inverse-frequency buffers, which older checkpoints saved and every
    /// loader recomputes, are not worth a word.
    /// </summary>
    private static void WarnUnused(LlamaConfig config, IReadOnlySet<string> used, IEnumerable<SafeTensorsFile> files,
        Func<string, string?> fileOf, Action<string> warn)
    {
        foreach (var file in files)
        {
            var unused = file.Entries.Select(e => e.Name)
                .Where(name => !(used.Contains(name) && fileOf(name) == file.FilePath) && !name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal))
                .ToList();
            if (unused.Count == 0) continue;
            var named = string.Join(", ", unused.Take(5).Select(n => $"'{n}'")) + (unused.Count > 5 ? $" and {unused.Count - 5} more" : "");
            var why = unused.Contains("lm_head.weight") && config.TieWordEmbeddings
                ? " (tie_word_embeddings is true, so the output projection is the embedding)"
                : "";
            warn($"{file.FilePath}: {unused.Count} tensor(s) the config does not use, left out{why}: {named}");
        }
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
