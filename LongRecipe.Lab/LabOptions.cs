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

    // The engine's parser is the one definition of a device name.
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        string? error = null;
        try { Device.Parse(DefaultDevice); }
        catch (FormatException e) { error = e.Message; }
        if (error is not null) yield return new ValidationResult(error, [nameof(DefaultDevice)]);
    }
}
