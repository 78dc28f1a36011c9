using System.Text.Json;

namespace LongRecipe.Engine.Optim;

/// <summary>
/// How AdamW keeps its two moments, and with them the bytes of optimizer state per parameter. The compact
/// forms also update a bf16 model's weights in place by stochastic rounding, so such a model needs no f32
/// master copy (4 bytes per parameter fewer again). An 8B model at 38,400 tokens in 80 GiB needs
/// <see cref="Int8Blockwise"/> (bench/README.md has the arithmetic).
/// </summary>
public enum OptimizerState
{
    /// <summary>Moments in the parameter's dtype, as torch.optim.AdamW keeps them: 8 bytes per f32 parameter; a bf16 model adds f32 master weights.</summary>
    F32,

    /// <summary>Moments in bf16, written back by stochastic rounding (unbiased): 4 bytes per parameter.</summary>
    Bf16Stochastic,

    /// <summary>
    /// Moments as 8-bit codes of a dynamic map, scaled per block of 2048 by the block's absolute maximum
    /// (Dettmers et al. 2021), the second moment kept as its square root: 2 bytes per parameter plus 8 per block.
    /// </summary>
    Int8Blockwise,
}

public static class OptimizerStateNames
{
    /// <summary>The name specs and the command line use: f32, bf16_stochastic, int8_blockwise.</summary>
    public static string Name(this OptimizerState state) => JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString());

    public static OptimizerState Parse(string name) =>
        Enum.GetValues<OptimizerState>().Where(s => s.Name() == name).Select(s => (OptimizerState?)s).FirstOrDefault()
        ?? throw new FormatException($"unknown optimizer state '{name}' (expected {string.Join(", ", Enum.GetValues<OptimizerState>().Select(s => s.Name()))})");
}
