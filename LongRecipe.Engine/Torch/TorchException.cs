namespace LongRecipe.Engine.Torch;

/// <summary>A libtorch call failed; the message is libtorch's, with the shim file and line that caught it.</summary>
public sealed class TorchException(string message) : Exception(message);
