using System.Text.Json;
using System.Text.Json.Serialization;

namespace LongRecipe.Engine.IO;

/// <summary>Enum values as snake_case strings (full_length, long_recipe); numbers are refused.</summary>
internal sealed class SnakeCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where T : struct, Enum;
