using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LongRecipe.Engine.Events;

namespace LongRecipe.Engine.Runs;

/// <summary>
/// A run's measurements as files to take elsewhere, in the events' own JSON (<see cref="EventJson"/>): the steps and
/// the eval cells as CSV tables whose columns are the events' JSON fields, in their order and with their values,
/// and all of a run's series as one JSON object {"steps": [...], "evals": [...], "searches": [...]} of events.
/// </summary>
public static class RunExports
{
    public static void StepsCsv(RunStore store, long runId, TextWriter writer) => Csv(store.Steps(runId), EventJson.Fields<StepEvent>(), writer);

    public static void EvalsCsv(RunStore store, long runId, TextWriter writer) => Csv(store.Evals(runId), EventJson.Fields<EvalEvent>(), writer);

    public static void Json(RunStore store, long runId, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("steps");
        foreach (var step in store.Steps(runId)) EventJson.Write(json, step);
        json.WriteEndArray();
        json.WriteStartArray("evals");
        foreach (var eval in store.Evals(runId)) EventJson.Write(json, eval);
        json.WriteEndArray();
        json.WriteStartArray("searches");
        foreach (var search in store.Searches(runId)) EventJson.Write(json, search);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>One header line of field names, then one line per event: numbers as JSON writes them, text quoted when it must be, null empty.</summary>
    private static void Csv<T>(IEnumerable<T> events, JsonTypeInfo<T> fields, TextWriter writer) where T : RunEvent
    {
        writer.WriteLine(string.Join(',', fields.Properties.Select(p => p.Name)));
        foreach (var e in events)
            writer.WriteLine(string.Join(',', JsonSerializer.SerializeToElement(e, fields).EnumerateObject().Select(p => Cell(p.Value))));
    }

    private static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "",
        JsonValueKind.String => Quoted(value.GetString()!),
        _ => value.GetRawText(),
    };

    private static string Quoted(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) < 0 ? text : '"' + text.Replace("\"", "\"\"") + '"';
}
