using System.Text.Json;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>One field that differs between specs: its JSON path (e.g. stages[0].transform.scheme) and each spec's value, null where the spec lacks it.</summary>
public sealed record SpecDifference(string Path, IReadOnlyList<string?> Values);

/// <summary>
/// The fields that differ between run specs, found by walking their JSON trees side by side. Objects are
/// walked field by field and lists of objects (the stages) item by item; a list of plain values (eval lengths)
/// is one value, compared and shown whole. A field one spec lacks (RunSpec.ToJson leaves nulls out, a run
/// may have fewer stages) differs from any value the others have.
/// </summary>
public static class SpecDiff
{
    /// <summary>The differing fields of <paramref name="specs"/> (JSON texts, e.g. RunSpec.ToJson()), in the order the first spec holding each lists them.</summary>
    public static IReadOnlyList<SpecDifference> Compare(IReadOnlyList<string> specs)
    {
        var leaves = new List<Dictionary<string, string>>();
        var order = new List<string>();
        var seen = new HashSet<string>();
        foreach (var json in specs)
        {
            using var document = JsonDocument.Parse(json);
            var fields = new Dictionary<string, string>();
            Flatten(document.RootElement, "", fields);
            foreach (var path in fields.Keys.Where(seen.Add)) order.Add(path);
            leaves.Add(fields);
        }
        return order
            .Select(path => new SpecDifference(path, leaves.Select(fields => fields.GetValueOrDefault(path)).ToList()))
            .Where(d => d.Values.Distinct().Count() > 1)
            .ToList();
    }

    private static void Flatten(JsonElement element, string path, Dictionary<string, string> fields)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    Flatten(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", fields);
                break;
            case JsonValueKind.Array when element.EnumerateArray().Any(IsStructured):
                var index = 0;
                foreach (var item in element.EnumerateArray()) Flatten(item, $"{path}[{index++}]", fields);
                break;
            default:
                fields[path] = Text(element);
                break;
        }
    }

    private static bool IsStructured(JsonElement element) => element.ValueKind is JsonValueKind.Object or JsonValueKind.Array;

    /// <summary>A value as a researcher reads it: strings unquoted, numbers as written, lists as [a, b, c].</summary>
    private static string Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Array => $"[{string.Join(", ", element.EnumerateArray().Select(Text))}]",
        _ => element.GetRawText(),
    };
}
