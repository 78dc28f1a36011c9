using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Support;

/// <summary>Test inputs drawn from a seed of their own, so that each stays the same whatever else a test draws.</summary>
internal static class Draw
{
    /// <summary>Standard-normal values of <paramref name="shape"/> in <paramref name="dtype"/>, from <paramref name="seed"/>.</summary>
    public static Tensor Normal(ulong seed, DType dtype, params long[] shape)
    {
        using var g = new Generator(seed);
        return Tensor.Randn(shape, g, dtype);
    }
}
