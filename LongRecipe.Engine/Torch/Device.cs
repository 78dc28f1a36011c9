namespace LongRecipe.Engine.Torch;

public enum DeviceType
{
    Cpu = 0,
    Cuda = 1,
}

/// <summary>Where a tensor lives: "cpu" or "cuda:N".</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceType.Cpu);

    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    public bool IsCuda => Type == DeviceType.Cuda;

    public override string ToString() => IsCuda ? $"cuda:{Index}" : "cpu";

    /// <summary>Parses "cpu", "cuda" or "cuda:N".</summary>
    public static Device Parse(string text) => text switch
    {
        "cpu" => Cpu,
        "cuda" => Cuda(),
        _ when text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), out var i) && i >= 0 => Cuda(i),
        _ => throw new FormatException($"unknown device '{text}' (expected cpu, cuda or cuda:N)"),
    };
}
