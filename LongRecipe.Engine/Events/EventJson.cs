using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LongRecipe.Engine.Events;

namespace LongRecipe.Lab.Live;

/// <summary>
/// Run events as JSON for clients outside the Lab: camelCase fields, enums as camelCase strings,
/// and a "type" discriminator first: step, stage, eval, checkpoint, log, status, e.g.
/// {"type":"step","time":"…","stage":"extend","step":10,"totalSteps":100,"loss":2.31,…}.
/// </summary>
public static class RunEventJson
{
    public const string Discriminator = "type";

    public static readonly IReadOnlyDictionary<Type, string> TypeNames = new Dictionary<Type, string>
    {
        [typeof(StepEvent)] = "step",
        [typeof(StageEvent)] = "stage",
        [typeof(EvalEvent)] = "eval",
        [typeof(CheckpointEvent)] = "checkpoint",
        [typeof(LogEvent)] = "log",
        [typeof(StatusEvent)] = "status",
    };

    public static readonly JsonSerializerOptions Options = CreateOptions();

    public static JsonElement ToElement(RunEvent runEvent) => JsonSerializer.SerializeToElement(runEvent, Options);

    public static RunEvent? Parse(string json) => JsonSerializer.Deserialize<RunEvent>(json, Options);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { AddDiscriminator } },
        };
        options.MakeReadOnly();
        return options;
    }

    // The engine's records stay free of serializer attributes; the Lab names the subtypes here.
    private static void AddDiscriminator(JsonTypeInfo info)
    {
        if (info.Type != typeof(RunEvent)) return;
        info.PolymorphismOptions = new JsonPolymorphismOptions
        {
            TypeDiscriminatorPropertyName = Discriminator,
            UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization,
        };
        foreach (var (type, name) in TypeNames) info.PolymorphismOptions.DerivedTypes.Add(new JsonDerivedType(type, name));
    }
}
