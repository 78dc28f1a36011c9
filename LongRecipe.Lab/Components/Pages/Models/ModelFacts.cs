using System.Globalization;
using LongRecipe.Engine.Model;

namespace LongRecipe.Lab.Components.Pages.Models;

/// <summary>How the Models page words a model's numbers.</summary>
public static class ModelFacts
{
    /// <summary>1234 → 1.23k, 35_072 → 35.1k, 124_439_808 → 124M, 1_235_814_400 → 1.24B: three significant digits.</summary>
    public static string Count(long value)
    {
        var (scaled, suffix) = value switch
        {
            >= 1_000_000_000 => (value / 1e9, "B"),
            >= 1_000_000 => (value / 1e6, "M"),
            >= 1_000 => (value / 1e3, "k"),
            _ => (value, ""),
        };
        return scaled.ToString(scaled >= 100 ? "F0" : scaled >= 10 ? "F1" : suffix == "" ? "F0" : "F2", CultureInfo.InvariantCulture) + suffix;
    }

    /// <summary>Bytes as KiB/MiB/GiB, e.g. 140.5 MiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):F1} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>The RoPE settings in a line, e.g. "llama3, θ = 500000, s = 32 from 8192".</summary>
    public static string Rope(RopeScaling rope)
    {
        var text = $"{rope.Type.Name()}, θ = {rope.Theta.ToString("G", CultureInfo.InvariantCulture)}";
        if (rope.Factor is { } factor) text += $", s = {factor.ToString("G", CultureInfo.InvariantCulture)}";
        if (rope.OriginalMaxPositionEmbeddings is { } original) text += $" from {original}";
        return text;
    }

    /// <summary>The architecture in a line, e.g. "16 layers × 2048, 32 heads of 64 (8 kv), MLP 8192, vocab 128256".</summary>
    public static string Shape(LlamaConfig c) =>
        $"{c.NumHiddenLayers} layers × {c.HiddenSize}, {c.NumAttentionHeads} heads of {c.HeadDim} ({c.NumKeyValueHeads} kv), MLP {c.IntermediateSize}, vocab {c.VocabSize}";

    public static string Source(ModelSource source) => source switch
    {
        ModelSource.Repository => "repository models/",
        ModelSource.DataDirectory => "data directory",
        ModelSource.Run => "a finished run",
        _ => "imported",
    };
}
