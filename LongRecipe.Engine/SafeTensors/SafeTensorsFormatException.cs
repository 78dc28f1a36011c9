namespace LongRecipe.Engine.SafeTensors;

/// <summary>
/// A file is not a well-formed safetensors file. The message names the file, the tensor
/// (when one is at fault) and the problem, e.g.
/// "model.safetensors: tensor 'lm_head.weight': data_offsets [0, 99] end past the data buffer (48 bytes)".
/// </summary>
public sealed class SafeTensorsFormatException(string filePath, string? tensorName, string problem, Exception? inner = null)
    : Exception(tensorName is null ? $"{filePath}: {problem}" : $"{filePath}: tensor '{tensorName}': {problem}", inner)
{
    public string FilePath { get; } = filePath;

    /// <summary>The tensor whose header entry is at fault; null for problems of the file as a whole.</summary>
    public string? TensorName { get; } = tensorName;
}
