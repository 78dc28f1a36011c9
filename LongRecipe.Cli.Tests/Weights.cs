using System.Buffers.Binary;
using System.Text.Json.Nodes;

namespace LongRecipe.Cli.Tests;

/// <summary>Weights files damaged on purpose, read and written by hand (safetensors: an 8-byte header length, the JSON header, the data).</summary>
internal static class Weights
{
    /// <summary>
    /// Sets the first four bytes of <paramref name="tensor"/>'s data to all ones: NaN in every float dtype (one f32 value,
    /// two bf16 or f16 ones), the header untouched, so the file still loads (with a warning).
    /// </summary>
    public static void PoisonFirstValue(string path, string tensor)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, headerLength))!;
        var offset = 8 + headerLength + (int)header[tensor]!["data_offsets"]![0]!;
        bytes.AsSpan(offset, 4).Fill(0xFF);
        File.WriteAllBytes(path, bytes);
    }
}
