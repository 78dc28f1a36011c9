using System.Globalization;
using System.Numerics;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Cli;

/// <summary>
/// A verb: what runs it, the --name value options it takes, the --flag options (no value) it takes, and, where it takes
/// one argument without a --name, what that is (e.g. run's "&lt;spec.json | preset&gt;"). One declaration per verb, so
/// an option it does not read is refused before any work rather than silently ignored.
/// </summary>
public sealed record Verb(Func<Arguments, Task<int>> RunAsync, string[] Options, string[]? Flags = null, string? Positional = null)
{
    public IEnumerable<string> Names => Options.Concat(Flags ?? []);
}

/// <summary>A verb's --name value options, the --flag options that take no value, and at most one positional argument.</summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string> values;

    private Arguments(Dictionary<string, string> values, string? positional) => (this.values, Positional) = (values, positional);

    /// <summary>
    /// The arguments of <paramref name="verb"/>, refusing an option it does not take ("tokenizer-train does not take
    /// --vocab-szie (did you mean --vocab-size?); it takes --out, …") and a positional argument where it takes none.
    /// </summary>
    public static Arguments Parse(string verb, Verb declaration, string[] args)
    {
        var values = new Dictionary<string, string>();
        string? positional = null;
        var takes = string.Join(", ", declaration.Names.Select(n => $"--{n}").Prepend(declaration.Positional).OfType<string>()) is { Length: > 0 } list
            ? list : "no options";
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                if (positional is not null) throw new ArgumentException($"expected '--option value', got '{args[i]}'");
                positional = declaration.Positional is not null ? args[i]
                    : throw new ArgumentException($"{verb} takes no argument without a --name, got '{args[i]}'; it takes {takes}");
                continue;
            }
            var name = args[i][2..];
            if (!declaration.Names.Contains(name))
                throw new ArgumentException($"{verb} does not take --{name}{DidYouMean(name, declaration.Names, "--")}; it takes {takes}");
            // The second would replace the first, dropping what it said (two --sources keep only the last's files).
            if (values.ContainsKey(name))
                throw new ArgumentException($"--{name} is given twice; give it once (a list goes comma-separated in one: --{name} a,b)");
            if (declaration.Flags?.Contains(name) == true)
                values[name] = "true";
            else if (i + 1 < args.Length)
                values[name] = args[++i];
            else
                throw new ArgumentException($"expected '--option value', got '{args[i]}'");
        }
        return new Arguments(values, positional);
    }

    /// <summary>
    /// <paramref name="validate"/>'s result; its <see cref="ArgumentException"/> about a field reworded to name the option
    /// that sets it (<paramref name="options"/>: field → option), so errors name what the user typed: "--documents must be
    /// at least 1, not 0" rather than "PerplexityDocuments must be at least 1, not 0".
    /// </summary>
    public static T NamingOptions<T>(Func<T> validate, IReadOnlyDictionary<string, string> options)
    {
        try
        {
            return validate();
        }
        catch (ArgumentException e) when (e.ParamName is { } field && options.TryGetValue(field, out var option))
        {
            var reason = JsonLines.Reason(e);
            var at = reason.IndexOf(field, StringComparison.Ordinal);
            throw new ArgumentException(at >= 0 ? $"--{option}{reason[(at + field.Length)..]}" : $"--{option}: {reason}", e);
        }
    }

    /// <summary>" (did you mean --vocab-size?)" when one of <paramref name="names"/> is a typo away from <paramref name="typed"/>, else "".</summary>
    public static string DidYouMean(string typed, IEnumerable<string> names, string prefix = "") =>
        names.Select(n => (Name: n, Distance: EditDistance(typed, n))).Where(c => c.Distance <= Math.Max(1, typed.Length / 3))
            .OrderBy(c => c.Distance).Select(c => $" (did you mean {prefix}{c.Name}?)").FirstOrDefault() ?? "";

    // Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours ("szie", "dytpe") cost 1 each.
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    /// <summary>The one argument without a --name, e.g. run's spec file.</summary>
    public string? Positional { get; }

    public string Required(string name) =>
        values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    public string? Optional(string name) => values.GetValueOrDefault(name);

    /// <summary>Whether the flag --<paramref name="name"/> was given.</summary>
    public bool Flag(string name) => values.ContainsKey(name);

    /// <summary>--data's workspace (by default data/): the run store and the runs' folders.</summary>
    public Workspace Workspace
    {
        get
        {
            var data = Optional("data") ?? "data";
            return File.Exists(data) ? throw new ArgumentException($"--data {data} is a file; give the folder that holds (or will hold) runs.db") : Workspace.At(data);
        }
    }

    /// <summary>--device, cpu by default; a CUDA device this machine lacks is refused here, before a model loads.</summary>
    public Device Device => Device.Parse(Optional("device") ?? "cpu") is var device && TorchRuntime.DeviceProblem(device) is { } problem
        ? throw new ArgumentException($"--device {problem}")
        : device;

    /// <summary>
    /// The model directory <paramref name="directory"/> in --dtype on <paramref name="device"/>; what loading finds wrong but
    /// mends or lets pass (a tensor converted to the checkpoint's dtype, a tensor holding NaN) is a warning on stderr.
    /// </summary>
    public LlamaModel LoadModel(string directory, Device? device, string? ropeScaling = null)
    {
        // A model loaded onto a device computes there: a dtype it cannot compute in would fail every request after.
        if (device is { } computing && DType is { } asked && TorchRuntime.ComputeProblem(asked, computing) is { } problem)
            throw new ArgumentException($"--dtype {asked.ShortName()}: {problem}; use f32 or bf16");
        var model = PretrainedModel.Load(directory, device, DType, ropeScaling, warning => Console.Error.WriteLine($"warning: {warning}"));
        if (device is { } on && DType is null && model.DType is var stored && TorchRuntime.ComputeProblem(stored, on) is { } own)
        {
            // The dtype is read before disposing: a disposed model's tensors cannot say theirs.
            model.Dispose();
            throw new ArgumentException($"{directory} is stored in {stored.ShortName()}: {own}; load it with --dtype f32 or bf16");
        }
        return model;
    }

    /// <summary>
    /// --dtype, or null for the checkpoint's own: a floating type, the only ones a model computes in and config.json's
    /// torch_dtype names (an i32 checkpoint would load, then fail to save its config beside weights already written).
    /// </summary>
    public DType? DType => Optional("dtype") is not { } name ? null
        : FloatingTypes.Where(d => d.ShortName() == name).Cast<DType?>().FirstOrDefault()
          ?? throw new ArgumentException($"--dtype must be a floating type ({string.Join(", ", FloatingTypes.Select(d => d.ShortName()))}), not '{name}'");

    private static readonly DType[] FloatingTypes = [.. Enum.GetValues<DType>().Where(d => d.IsFloatingPoint())];

    /// <summary>
    /// <paramref name="output"/>, the --out folder a verb writes, checked before any work: refused when it or a folder on its
    /// path is a file, and when it is one of <paramref name="inputs"/> (however spelled: X/, a symbolic link), whose files
    /// writing there would replace.
    /// </summary>
    public static string OutputFolder(string output, params (string Option, string Folder)[] inputs)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(output));
        for (var path = full; path is not null; path = Path.GetDirectoryName(path))
            if (File.Exists(path))
                throw new ArgumentException(path == full ? $"--out {output} is a file, not a folder" : $"--out {output}: {path} is a file, not a folder");
        foreach (var (option, folder) in inputs)
            if (Directory.Exists(output) && Directory.Exists(folder) && RealPath(output) == RealPath(folder))
                throw new ArgumentException($"--out {output} is the folder --{option} reads ({folder}); write to another folder");
        return output;
    }

    // The absolute path with every symbolic link on the way resolved, so that X, X/ and a link to X compare equal.
    private static string RealPath(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Path.GetDirectoryName(full) is not { } parent) return full;
        var resolved = Path.Combine(RealPath(parent), Path.GetFileName(full));
        return File.ResolveLinkTarget(resolved, returnFinalTarget: true) is { } target ? RealPath(target.FullName) : resolved;
    }

    /// <summary>--<paramref name="name"/> as a whole number of <typeparamref name="T"/>'s range, or <paramref name="fallback"/> when absent.</summary>
    public T Whole<T>(string name, T fallback) where T : IBinaryInteger<T>, IMinMaxValue<T> =>
        Optional(name) is { } text ? Whole<T>(name, text) : fallback;

    /// <summary>--<paramref name="name"/> as comma-separated whole numbers, or null when absent.</summary>
    public T[]? Wholes<T>(string name) where T : IBinaryInteger<T>, IMinMaxValue<T> => List(name, text => Whole<T>(name, text));

    /// <summary>--<paramref name="name"/> as a finite number, or <paramref name="fallback"/> when absent.</summary>
    public double Number(string name, double fallback) => Optional(name) is { } text ? Number(name, text) : fallback;

    /// <summary>--<paramref name="name"/> as a finite number, or null when absent.</summary>
    public double? OptionalNumber(string name) => Optional(name) is { } text ? Number(name, text) : null;

    /// <summary>--<paramref name="name"/> as comma-separated finite numbers, or null when absent.</summary>
    public double[]? Numbers(string name) => List(name, text => Number(name, text));

    // Errors name the flag and say what it takes: "--seed must be a whole number in [0, 18446744073709551615], not '-1'".
    private static T Whole<T>(string name, string text) where T : IBinaryInteger<T>, IMinMaxValue<T> =>
        T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--{name} must be a whole number in [{T.MinValue}, {T.MaxValue}], not '{text}'"));

    private static double Number(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value
            : throw new ArgumentException($"--{name} must be a finite number, not '{text}'");

    private T[]? List<T>(string name, Func<string, T> parse) =>
        Optional(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse).ToArray();
}
