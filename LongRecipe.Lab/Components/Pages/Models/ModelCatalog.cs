using System.Text.Json;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Lab.Security;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Components.Pages.Models;

/// <summary>Where a model directory was found.</summary>
public enum ModelSource
{
    /// <summary>Under the repository's models/ folder (the built-in model lives at models/builtin/).</summary>
    Repository,
    /// <summary>Under the data directory's models/ folder (trained, merged or converted models).</summary>
    DataDirectory,
    /// <summary>The final model of a completed run of the run store (its folder's model/).</summary>
    Run,
    /// <summary>Anywhere else, imported by path.</summary>
    Imported,
}

/// <summary>
/// One Hugging Face model directory as the Lab lists it. Config is null when config.json cannot be
/// read; Problem then says why (file and field). Parameters counts the weights the config implies.
/// </summary>
public sealed record ModelEntry(
    string Name, string Directory, ModelSource Source,
    LlamaConfig? Config, string? Problem,
    long Parameters, bool HasWeights, long WeightBytes, bool HasTokenizer)
{
    /// <summary>Loadable and scoreable: a valid config, weights and a tokenizer.json.</summary>
    public bool Usable => Config is not null && HasWeights && HasTokenizer;
}

/// <summary>A directory that cannot be imported; the message names the path and what is wrong.</summary>
public sealed class ModelImportException(string message) : Exception(message);

/// <summary>
/// The model directories the Lab knows: those under the repository's models/ and the data directory's
/// models/ (one level down), the final models of completed runs, and those imported by path, remembered in the
/// data directory's imported-models.json (a JSON array of full paths). A directory is listed once, however it
/// was reached or spelled. Imports come from the data directory and the folders Lab:Security:ModelImportFolders
/// names, nowhere else.
/// </summary>
public sealed class ModelCatalog(IOptions<LabOptions> options, IHostEnvironment environment, RunStore store, IOptions<LabSecurityOptions>? security = null)
{
    public const string TokenizerFile = "tokenizer.json";
    public const string ImportsFileName = "imported-models.json";

    private readonly object gate = new();

    public string DataDirectory => Path.GetFullPath(options.Value.DataDirectory, environment.ContentRootPath);

    public string RepositoryModels => Path.Combine(environment.ContentRootPath, "models");

    public string DataModels => Path.Combine(DataDirectory, "models");

    private string ImportsFile => Path.Combine(DataDirectory, ImportsFileName);

    /// <summary>The folders model directories may be imported from: the data directory and Lab:Security:ModelImportFolders.</summary>
    public IReadOnlyList<string> ImportFolders =>
        [DataDirectory, .. (security?.Value ?? new LabSecurityOptions()).ImportFolders.Select(f => Path.GetFullPath(f, environment.ContentRootPath))];

    public IReadOnlyList<ModelEntry> List()
    {
        var found = new List<ModelEntry>();
        found.AddRange(Scan(RepositoryModels, ModelSource.Repository));
        found.AddRange(Scan(DataModels, ModelSource.DataDirectory));
        found.AddRange(RunModels());
        var known = new HashSet<string>();
        return [.. found.Concat(ReadImports().Select(d => Describe(d, ModelSource.Imported))).Where(m => known.Add(m.Directory))];
    }

    /// <summary>Each completed run's final model, newest run first, named after its run.</summary>
    private IEnumerable<ModelEntry> RunModels() =>
        store.ListRuns(new RunFilter(Status: RunStatus.Completed))
            .Select(run => (Run: run, Directory: Path.Combine(run.Folder, RecipeRunner.ModelFolder)))
            .Where(r => File.Exists(Path.Combine(r.Directory, PretrainedModel.ConfigFile)))
            .Select(r => Describe(r.Directory, ModelSource.Run) with { Name = $"{r.Run.Name} · run #{r.Run.Id}" });

    /// <summary>Adds a model directory by path after checking it loads: config.json, weights and tokenizer.json present.</summary>
    public ModelEntry Import(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ModelImportException("Give the path of a model directory.");
        if (path.Contains('\0')) throw new ModelImportException("A path holds no NUL character; give the path of a model directory.");
        var directory = Normalized(Path.GetFullPath(path.Trim(), environment.ContentRootPath));
        // One import at a time: the check that it is not listed yet holds until it is written.
        lock (gate)
        {
            // A model already listed (a run's final model, say) is answered as such, wherever it lives.
            if (List().Any(m => m.Directory == directory)) throw new ModelImportException($"{directory} is already listed.");
            if (Outside(directory, "models are imported from") is { } outside) throw new ModelImportException(outside + ".");
            if (!System.IO.Directory.Exists(directory)) throw new ModelImportException($"{directory}: no such directory.");
            if (!File.Exists(Path.Combine(directory, PretrainedModel.ConfigFile)))
                throw new ModelImportException($"{directory}: no {PretrainedModel.ConfigFile}; a Hugging Face model directory holds one.");
            var entry = Describe(directory, ModelSource.Imported);
            if (entry.Problem is not null) throw new ModelImportException(entry.Problem);
            if (!entry.HasWeights)
                throw new ModelImportException($"{directory}: no {PretrainedModel.WeightsFile} or {PretrainedModel.IndexFile}.");
            if (!entry.HasTokenizer) throw new ModelImportException($"{directory}: no {TokenizerFile}.");
            var imports = ReadImports().Append(directory).ToArray();
            System.IO.Directory.CreateDirectory(DataDirectory);
            AtomicFile.Write(ImportsFile, stream => JsonSerializer.Serialize(stream, imports, new JsonSerializerOptions { WriteIndented = true }));
            return entry;
        }
    }

    /// <summary>
    /// What a run spec names outside the folders the Lab reads from, each at its field: the model (unless built in or
    /// listed here) and the corpora given as paths must lie in the data directory or an import folder, as an imported
    /// model must, so that whoever can queue a run cannot make the Lab read (or report the existence of) files elsewhere.
    /// </summary>
    public IReadOnlyList<SpecProblem> PlaceProblems(RunSpec spec)
    {
        var problems = new List<SpecProblem>();
        // A path holding a NUL names no place; the spec's own rules refuse it at its field.
        string? Full(string? path) => path is null or DataSpec.Synthetic or DataSpec.Real || path.Contains('\0')
            ? null
            : Normalized(Path.GetFullPath(path, environment.ContentRootPath));
        void Check(string? full, string field, string what)
        {
            if (full is not null && Outside(full, $"the Lab reads {what} from") is { } outside) problems.Add(new SpecProblem(field, outside));
        }
        if (spec.Model != RunSpec.BuiltinModel && Full(spec.Model) is { } model && !List().Any(m => m.Directory == model))
            Check(model, "model", "models");
        Check(Full(spec.Data.Corpus), "data.corpus", "corpora");
        Check(Full(spec.Data.Replay), "data.replay", "corpora");
        Check(Full(spec.Eval.Corpus), "eval.corpus", "corpora");
        return problems;
    }

    /// <summary>
    /// Null when <paramref name="full"/> lies in the data directory or an import folder, a link on its way to elsewhere
    /// counting as where it leads; otherwise why not, naming the folders that <paramref name="reads"/>.
    /// </summary>
    private string? Outside(string full, string reads)
    {
        string target;
        try
        {
            target = Resolved(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{full}: {e.Message}";
        }
        return ImportFolders.Any(folder => Within(target, folder)) ? null
            : $"{full} is outside the folders {reads} ({string.Join(", ", ImportFolders)}); add its folder to Lab:Security:ModelImportFolders in appsettings.json";
    }

    // As Linux gives up on a path (ELOOP): a loop of links, or a chain this long, leads nowhere.
    private const int MaxLinks = 40;

    /// <summary>
    /// <paramref name="full"/> with every symbolic link along it followed, in a parent folder as much as at its end (what
    /// realpath(3) gives, without needing the path to exist: past the first part that does not, the rest stays as written).
    /// </summary>
    private static string Resolved(string full)
    {
        var root = Path.GetPathRoot(full)!;
        var resolved = root;
        var parts = new Stack<string>(Parts(full[root.Length..]).Reverse());
        var links = 0;
        while (parts.TryPop(out var part))
        {
            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? resolved;
                continue;
            }
            var next = Path.Combine(resolved, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                resolved = next;
                continue;
            }
            if (++links > MaxLinks) throw new IOException($"more than {MaxLinks} symbolic links on the way, or a loop of them");
            // The target is walked in its turn, from the root when absolute, else from the folder holding the link.
            foreach (var targetPart in Parts(target).Reverse()) parts.Push(targetPart);
            if (Path.IsPathRooted(target)) resolved = Path.GetPathRoot(target)!;
        }
        return resolved;
    }

    private static IEnumerable<string> Parts(string path) =>
        path.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");

    /// <summary>A directory as one string however it was typed: full, without a trailing separator.</summary>
    private static string Normalized(string directory) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    private static bool Within(string path, string folder) =>
        Path.GetRelativePath(folder, path) is var relative && relative != ".." && !relative.StartsWith("../", StringComparison.Ordinal) && !Path.IsPathRooted(relative);

    /// <summary>What the directory holds; never throws for a broken config, which becomes the entry's Problem.</summary>
    public static ModelEntry Describe(string directory, ModelSource source)
    {
        directory = Normalized(directory);
        LlamaConfig? config = null;
        string? problem = null;
        try
        {
            config = LlamaConfig.Load(Path.Combine(directory, PretrainedModel.ConfigFile));
        }
        catch (Exception e) when (e is JsonFieldException or ArgumentException or IOException)
        {
            problem = e.Message;
        }
        var weights = System.IO.Directory.Exists(directory) ? System.IO.Directory.EnumerateFiles(directory, "model*.safetensors").ToList() : [];
        var hasWeights = File.Exists(Path.Combine(directory, PretrainedModel.WeightsFile))
                         || File.Exists(Path.Combine(directory, PretrainedModel.IndexFile));
        var parameters = config is null ? 0 : LlamaModel.ParameterCount(config);
        return new ModelEntry(Path.GetFileName(directory), directory, source, config, problem, parameters,
            hasWeights, weights.Sum(f => new FileInfo(f).Length), File.Exists(Path.Combine(directory, TokenizerFile)));
    }

    private static IEnumerable<ModelEntry> Scan(string folder, ModelSource source) =>
        System.IO.Directory.Exists(folder)
            ? System.IO.Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal)
                .Where(d => File.Exists(Path.Combine(d, PretrainedModel.ConfigFile)))
                .Select(d => Describe(d, source))
            : [];

    private string[] ReadImports()
    {
        if (!File.Exists(ImportsFile)) return [];
        try
        {
            return JsonSerializer.Deserialize<string[]>(File.ReadAllText(ImportsFile)) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{ImportsFile}: not a JSON array of paths ({e.Message})", e);
        }
    }
}
