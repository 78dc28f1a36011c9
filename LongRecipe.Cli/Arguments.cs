using System.Globalization;
using System.Numerics;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Cli;

/// <summary>A verb's --name value options, the few --flag options that take no value, and at most one positional argument.</summary>
public sealed class Arguments
{
    private static readonly HashSet<string> Flags = ["synthetic", "resume", "print", "report-only", "cuda-graph"];

    private readonly Dictionary<string, string> values;

    private Arguments(Dictionary<string, string> values, string? positional) => (this.values, Positional) = (values, positional);

    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        string? positional = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && Flags.Contains(args[i][2..]))
            {
                values[args[i][2..]] = "true";
                continue;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) && positional is null)
            {
                positional = args[i];
                continue;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected '--option value', got '{args[i]}'");
            values[args[i][2..]] = args[++i];
        }
        return new Arguments(values, positional);
    }

    /// <summary>The one argument without a --name, e.g. run's spec file.</summary>
    public string? Positional { get; }

    public string Required(string name) =>
        values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    public string? Optional(string name) => values.GetValueOrDefault(name);

    /// <summary>Whether the flag --<paramref name="name"/> was given.</summary>
    public bool Flag(string name) => values.ContainsKey(name);

    public Device Device => Device.Parse(Optional("device") ?? "cpu");

    /// <summary>
    /// The model directory <paramref name="directory"/> in --dtype on <paramref name="device"/>; what loading finds wrong but
    /// mends or lets pass (a tensor converted to the checkpoint's dtype, a tensor holding NaN) is a warning on stderr.
    /// </summary>
    public LlamaModel LoadModel(string directory, Device? device, string? ropeScaling = null) =>
        PretrainedModel.Load(directory, device, DType, ropeScaling, warning => Console.Error.WriteLine($"warning: {warning}"));

    /// <summary>--dtype, or null for the checkpoint's own.</summary>
    public DType? DType => Optional("dtype") is { } name ? DTypeExtensions.ParseDType(name) : null;

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
