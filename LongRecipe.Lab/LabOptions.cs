using System.ComponentModel.DataAnnotations;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Lab;

/// <summary>The Lab's settings, the "Lab" section of appsettings.json.</summary>
public sealed record LabOptions : IValidatableObject
{
    public const string Section = "Lab";

    /// <summary>Where corpora, runs and checkpoints live, e.g. data; relative to the repository root.</summary>
    [Required]
    public string DataDirectory { get; init; } = "data";

    /// <summary>The device new runs start on: cpu, cuda or cuda:N.</summary>
    [Required]
    public string DefaultDevice { get; init; } = "cpu";

    /// <summary>Threads libtorch uses inside one CPU operation; 0 means one per logical core (libtorch alone would use one per physical core).</summary>
    [Range(0, 1024)]
    public int CpuThreads { get; init; }

    /// <summary>
    /// How many CPU runs may train at once, e.g. 1; CUDA runs take one per device regardless. One keeps a
    /// two-core machine responsive (each run's libtorch already uses every core).
    /// </summary>
    [Range(1, 64)]
    public int CpuConcurrency { get; init; } = 1;

    // The engine's parser is the one definition of a device name.
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        string? error = null;
        try { Device.Parse(DefaultDevice); }
        catch (FormatException e) { error = e.Message; }
        if (error is not null) yield return new ValidationResult(error, [nameof(DefaultDevice)]);
    }
}
