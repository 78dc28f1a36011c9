namespace LongRecipe.Engine.Torch;

/// <summary>Element types. The values are libtorch's ScalarType codes, passed through the shim as is.</summary>
public enum DType
{
    UInt8 = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

public static class DTypeExtensions
{
    /// <summary>Bytes per element, e.g. 2 for bf16.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float16 or DType.BFloat16 or DType.Float32 or DType.Float64;

    /// <summary>The short names researchers type: f32, bf16, f16, f64, i64, i32, i16, i8, u8, bool.</summary>
    public static string ShortName(this DType dtype) => dtype switch
    {
        DType.Float32 => "f32",
        DType.BFloat16 => "bf16",
        DType.Float16 => "f16",
        DType.Float64 => "f64",
        DType.Int64 => "i64",
        DType.Int32 => "i32",
        DType.Int16 => "i16",
        DType.Int8 => "i8",
        DType.UInt8 => "u8",
        DType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    public static DType ParseDType(string name)
    {
        foreach (var dtype in Enum.GetValues<DType>())
            if (dtype.ShortName() == name) return dtype;
        throw new FormatException($"unknown dtype '{name}' (expected f32, bf16, f16, f64, i64, i32, i16, i8, u8 or bool)");
    }

    /// <summary>The dtype of a managed element type, for copies to and from arrays.</summary>
    internal static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(Half) ? DType.Float16
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(int) ? DType.Int32
        : typeof(T) == typeof(short) ? DType.Int16
        : typeof(T) == typeof(sbyte) ? DType.Int8
        : typeof(T) == typeof(byte) ? DType.UInt8
        : typeof(T) == typeof(bool) ? DType.Bool
        : throw new NotSupportedException($"no tensor dtype for {typeof(T).Name}; bf16 data travels as raw bytes");
}
