using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LongRecipe.Engine.IO;

namespace LongRecipe.Engine.Events;

/// <summary>
/// Run events as JSON, the one form the Lab's hub, the command line and the run exports share: the kind first
/// ("type": step, stage, eval, search, checkpoint, log or status), then the event's fields in snake_case, enums as
/// snake_case names, times as ISO 8601 and durations in seconds, e.g.
/// {"type":"step","time":"…","stage":"extend","step":10,"total_steps":100,"loss":2.31,…}. Text stays readable
/// (no \uXXXX for non-ASCII). JSON has no NaN or ±∞: a number that is not finite (a skipped step's loss, the
/// perplexity of a model with NaN weights) is written as null, and null reads back as NaN.
/// </summary>
public static class EventJson
{
    public const string Discriminator = "type";

    private static readonly EventJsonContext Context = new(new JsonSerializerOptions(EventJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static string Serialize(RunEvent runEvent) => JsonSerializer.Serialize(runEvent, Context.RunEvent);

    public static JsonElement ToElement(RunEvent runEvent) => JsonSerializer.SerializeToElement(runEvent, Context.RunEvent);

    public static void Write(Utf8JsonWriter writer, RunEvent runEvent) => JsonSerializer.Serialize(writer, runEvent, Context.RunEvent);

    /// <summary>An event as <see cref="Serialize"/> writes it; JSON of another shape throws a <see cref="JsonException"/>.</summary>
    public static RunEvent Parse(string json) =>
        JsonSerializer.Deserialize(json, Context.RunEvent) ?? throw new JsonException("a run event must be a JSON object, got null");

    /// <summary>The fields of one kind of event, in the order they are written (its "type" aside): a table's columns.</summary>
    public static JsonTypeInfo<T> Fields<T>() where T : RunEvent => (JsonTypeInfo<T>)Context.GetTypeInfo(typeof(T))!;
}

/// <summary>A number, or null where it is not finite (NaN, ±∞), which JSON cannot write; null reads as NaN.</summary>
internal sealed class FiniteOrNullConverter : JsonConverter<double>
{
    public override bool HandleNull => true;

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}

/// <summary>A duration as its seconds, a plain number other languages read.</summary>
internal sealed class SecondsConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TimeSpan.FromSeconds(reader.GetDouble());

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.TotalSeconds);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    AllowOutOfOrderMetadataProperties = true,
    Converters = [typeof(FiniteOrNullConverter), typeof(SnakeCaseEnumConverter<RunStatus>), typeof(SnakeCaseEnumConverter<StagePhase>), typeof(SnakeCaseEnumConverter<RunLogLevel>),
        typeof(SnakeCaseEnumConverter<RopeSearchPhase>)])]
[JsonSerializable(typeof(RunEvent))]
[JsonSerializable(typeof(StepEvent))]
[JsonSerializable(typeof(EvalEvent))]
[JsonSerializable(typeof(SearchEvent))]
internal sealed partial class EventJsonContext : JsonSerializerContext;
