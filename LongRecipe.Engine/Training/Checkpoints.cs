using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Training;

/// <summary>A checkpoint could not be read or does not fit the run; the message names the file and the field or tensor.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Where a run stands after <paramref name="Step"/> steps: the options it runs under, the input tokens
/// seen, the steps skipped as non-finite, and every step's loss (NaN for a skipped one).
/// </summary>
public sealed record TrainerState(long Step, long Tokens, int SkippedSteps, IReadOnlyList<double> Losses, TrainerOptions Options);

/// <summary>
/// A run's checkpoints, one folder each under &lt;run&gt;/checkpoints/: step-000100/ holds the model
/// as transformers loads it (config.json, model.safetensors), master_weights.safetensors (the f32
/// weights, when the model computes in bf16 with f32 optimizer state), optimizer.safetensors (AdamW's
/// moments in their stored form: exp_avg.&lt;parameter&gt;, or its 8-bit codes and block maxima) and
/// trainer_state.json. A checkpoint is written into a hidden temporary folder, every file flushed to
/// disk, then renamed into place whole, so a kill at any instant leaves the earlier checkpoints as
/// they were plus, at worst, a hidden leftover; the next run removes leftovers. The file "latest"
/// (replaced atomically) names the newest for people and tools; resuming trusts the folders themselves.
/// </summary>
public static class Checkpoints
{
    public const string FolderName = "checkpoints";
    public const string LatestFile = "latest";
    public const string StateFile = "trainer_state.json";
    public const string MasterFile = "master_weights.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";
    private const int Format = 1;
    private const string Prefix = "step-";

    /// <summary>The checkpoints folder of a run.</summary>
    public static string Folder(string runFolder) => Path.Combine(runFolder, FolderName);

    /// <summary>
    /// Writes the checkpoint of <paramref name="state"/>.Step and deletes all but the newest
    /// <paramref name="keep"/>; returns its folder. <paramref name="master"/> is null when the model's
    /// own (f32) weights are the ones the optimizer updates.
    /// </summary>
    public static string Save(string runFolder, TrainerState state, LlamaModel model, Parameters? master, AdamW optimizer, int keep)
    {
        var folder = Folder(runFolder);
        Directory.CreateDirectory(folder);
        var name = Prefix + state.Step.ToString("D6", CultureInfo.InvariantCulture);
        var final = Path.Combine(folder, name);
        var temporary = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(temporary);
            PretrainedModel.Save(model, temporary);
            if (master is not null)
                SafeTensorsWriter.Write(Path.Combine(temporary, MasterFile), master.Names.ToDictionary(n => n, n => master[n]));
            var trained = master ?? model.Parameters;
            var optimizerState = Enumerable.Range(0, trained.Count)
                .SelectMany(i => optimizer.State(i).Select(s => (Key: StateKey(s.Name, trained.Names[i]), s.Tensor)))
                .ToDictionary(s => s.Key, s => s.Tensor);
            SafeTensorsWriter.Write(Path.Combine(temporary, OptimizerFile), optimizerState,
                new Dictionary<string, string> { ["step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture) });
            var json = JsonSerializer.SerializeToNode(state, CheckpointJson.Default.TrainerState)!.AsObject();
            json["format"] = Format;
            AtomicFile.Write(Path.Combine(temporary, StateFile), stream => JsonSerializer.Serialize(stream, json, CheckpointJson.Default.JsonObject));
            // config.json is written without a flush of its own; every file reaches the disk before the rename.
            foreach (var file in Directory.GetFiles(temporary))
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
                    stream.Flush(flushToDisk: true);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temporary, final);
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
        AtomicFile.Write(Path.Combine(folder, LatestFile), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(name + "\n")));
        foreach (var (_, old) in Complete(runFolder).Skip(keep)) Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>The complete checkpoints of a run, newest first.</summary>
    public static IReadOnlyList<(long Step, string Path)> Complete(string runFolder)
    {
        var folder = Folder(runFolder);
        if (!Directory.Exists(folder)) return [];
        return Directory.GetDirectories(folder, Prefix + "*")
            .Select(path => (Ok: long.TryParse(Path.GetFileName(path)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var step), Step: step, Path: path))
            .Where(c => c.Ok)
            .OrderByDescending(c => c.Step)
            .Select(c => (c.Step, c.Path))
            .ToList();
    }

    /// <summary>The newest complete checkpoint's folder, or null when the run has none.</summary>
    public static string? Latest(string runFolder) => Complete(runFolder) is [var newest, ..] ? newest.Path : null;

    /// <summary>Deletes what killed writes left behind: hidden temporary folders and files.</summary>
    public static void RemoveLeftovers(string runFolder)
    {
        var folder = Folder(runFolder);
        if (!Directory.Exists(folder)) return;
        foreach (var directory in Directory.GetDirectories(folder, ".*.tmp")) Directory.Delete(directory, recursive: true);
        foreach (var file in Directory.GetFiles(folder, ".*.tmp")) File.Delete(file);
    }

    /// <summary>Reads and checks a checkpoint's trainer_state.json.</summary>
    public static TrainerState ReadState(string checkpoint)
    {
        var path = Path.Combine(checkpoint, StateFile);
        if (!File.Exists(path)) throw new CheckpointException($"{path}: missing");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not valid JSON ({e.Message})", e);
        }
        if (json["format"]?.GetValueKind() != JsonValueKind.Number || json["format"]!.GetValue<int>() != Format)
            throw new CheckpointException($"{path}: format must be {Format}");
        TrainerState? state;
        try
        {
            state = json.Deserialize(CheckpointJson.Default.TrainerState);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: {e.Path ?? "$"}: {e.Message}", e);
        }
        if (state?.Options is null || state.Losses is null) throw new CheckpointException($"{path}: options and losses are required");
        if (state.Step < 0 || state.Losses.Count != state.Step)
            throw new CheckpointException($"{path}: losses has {state.Losses.Count} entries for step {state.Step}");
        return state;
    }

    /// <summary>
    /// Loads a checkpoint's weights into <paramref name="model"/> (and <paramref name="master"/>) and its
    /// moments into <paramref name="optimizer"/>; the tensors keep their own dtype and device.
    /// </summary>
    public static void Restore(string checkpoint, LlamaModel model, Parameters? master, AdamW optimizer)
    {
        var config = LlamaConfig.Load(Path.Combine(checkpoint, PretrainedModel.ConfigFile));
        if (!(config with { Dtype = null }).Equals(model.Config with { Dtype = null }))
            throw new CheckpointException($"{Path.Combine(checkpoint, PretrainedModel.ConfigFile)}: the checkpoint's model differs from the run's");
        using var noGrad = new NoGradScope();
        CopyInto(Path.Combine(checkpoint, PretrainedModel.WeightsFile), model.Parameters);
        if (master is not null) CopyInto(Path.Combine(checkpoint, MasterFile), master);

        var trained = master ?? model.Parameters;
        var path = Path.Combine(checkpoint, OptimizerFile);
        using var file = Open(path);
        if (!file.Metadata.TryGetValue("step", out var text) || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            throw new CheckpointException($"{path}: __metadata__.step missing or not a count");
        try
        {
            optimizer.Restore(step, (index, name, like) =>
                file.Contains(StateKey(name, trained.Names[index])) ? Checked(file, StateKey(name, trained.Names[index]), like) : null);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>A parameter's optimizer state tensor in optimizer.safetensors, e.g. exp_avg.model.norm.weight.</summary>
    private static string StateKey(string state, string parameter) => $"{state}.{parameter}";

    private static void CopyInto(string path, Parameters into)
    {
        using var file = Open(path);
        foreach (var name in into.Names)
        {
            using var scope = DisposeScope.Enter();
            if (!file.Contains(name)) throw new CheckpointException($"{path}: missing tensor '{name}'");
            into[name].CopyFrom(Checked(file, name, into[name]));
        }
    }

    /// <summary>A stored tensor, after checking that its shape is the one it replaces.</summary>
    private static Tensor Checked(SafeTensorsFile file, string name, Tensor like)
    {
        var entry = file.GetEntry(name);
        if (!entry.Shape.SequenceEqual(like.Shape))
            throw new CheckpointException(
                $"{file.FilePath}: tensor '{name}' has shape [{string.Join(", ", entry.Shape)}], the run's is [{string.Join(", ", like.Shape)}]");
        return file.Load(name, like.DType, like.Device);
    }

    private static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: missing");
        try
        {
            return SafeTensorsFile.Open(path);
        }
        catch (SafeTensorsFormatException e)
        {
            throw new CheckpointException(e.Message, e);
        }
    }

    /// <summary>The first option that differs between a checkpoint's run and this one, as "Name: stored → given", or null.</summary>
    internal static string? Difference(TrainerOptions stored, TrainerOptions given)
    {
        var (a, b) = (JsonSerializer.SerializeToNode(stored, CheckpointJson.Default.TrainerOptions)!.AsObject(),
            JsonSerializer.SerializeToNode(given, CheckpointJson.Default.TrainerOptions)!.AsObject());
        foreach (var (name, value) in a)
            if (!JsonNode.DeepEquals(value, b[name])) return $"{name}: {value?.ToJsonString()} → {b[name]?.ToJsonString()}";
        return null;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(TrainerState))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
