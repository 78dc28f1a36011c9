using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.SafeTensors;

/// <summary>
/// The facts of the Hugging Face safetensors layout that reader and writer share:
/// an 8-byte little-endian u64 N, N bytes of a UTF-8 JSON object (tensor name →
/// {"dtype", "shape", "data_offsets": [begin, end]}, plus an optional "__metadata__"
/// of string → string), then the data buffer, which the offsets index from its start.
/// </summary>
public static class SafeTensorsFormat
{
    /// <summary>Bytes of the little-endian header length that opens every file.</summary>
    public const int LengthPrefixBytes = 8;

    /// <summary>
    /// The largest header accepted, as the reference implementation does: a bound on what
    /// a hostile length field can make a reader allocate.
    /// </summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Writers pad the header with spaces so the data buffer starts at a multiple of this.</summary>
    public const int DataAlignment = 8;

    /// <summary>The header key holding free-form string metadata rather than a tensor.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The header's dtype code for <paramref name="dtype"/>, e.g. "BF16".</summary>
    public static string DTypeCode(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Int16 => "I16",
        DType.Int8 => "I8",
        DType.UInt8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors dtype code"),
    };

    /// <summary>The dtype a header code names; false for codes this engine has no tensor type for (F8_E4M3, U32, …).</summary>
    public static bool TryParseDTypeCode(string code, out DType dtype)
    {
        foreach (var candidate in Enum.GetValues<DType>())
            if (DTypeCode(candidate) == code)
            {
                dtype = candidate;
                return true;
            }
        dtype = default;
        return false;
    }
}
