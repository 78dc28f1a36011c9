using System.Text.Json;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>One field that differs between specs: its JSON path (e.g. stages[0].transform.scheme) and each spec's value, null where the spec lacks it.</summary>
public sealed record SpecDifference(string Path, IReadOnlyList<string?> Values);

/// <summary>
/// The fields that differ between run specs, found by walking their JSON trees side by side. Where every spec
/// has an object there, its fields are walked (in the order the specs first list them); where every spec has a
/// list of objects (the stages), its items are. Anything else is one value, compared as text: a list of plain
/// values (eval lengths) whole, and an object that some specs lack (a stage only one run has, a field
/// RunSpec.ToJson leaves out as null) as one row, written compactly, against nothing.
/// </summary>
public static class SpecDiff
{
    /// <summary>The differing fields of <paramref name="specs"/> (JSON texts, e.g. RunSpec.ToJson()).</summary>
    public static IReadOnlyList<SpecDifference> Compare(IReadOnlyList<string> specs)
    {
        var documents = specs.Select(json => JsonDocument.Parse(json)).ToList();
        try
        {
            var differences = new List<SpecDifference>();
            Walk("", documents.Select(d => (JsonElement?)d.RootElement).ToList(), differences);
            return differences;
        }
        finally
        {
            foreach (var document in documents) document.Dispose();
        }
    }

    private static void Walk(string path, IReadOnlyList<JsonElement?> nodes, List<SpecDifference> differences)
    {
        if (nodes.All(n => n?.ValueKind == JsonValueKind.Object))
        {
            var names = nodes.SelectMany(n => n!.Value.EnumerateObject().Select(p => p.Name)).Distinct();
            foreach (var name in names)
                Walk(path.Length == 0 ? name : $"{path}.{name}",
                    nodes.Select(n => n!.Value.TryGetProperty(name, out var value) ? value : (JsonElement?)null).ToList(), differences);
        }
        else if (nodes.All(n => n?.ValueKind == JsonValueKind.Array && n.Value.EnumerateArray().Any(IsStructured)))
        {
            var count = nodes.Max(n => n!.Value.GetArrayLength());
            for (var i = 0; i < count; i++)
                Walk($"{path}[{i}]", nodes.Select(n => i < n!.Value.GetArrayLength() ? n.Value[i] : (JsonElement?)null).ToList(), differences);
        }
        else
        {
            var values = nodes.Select(n => n is { } element ? Text(element) : null).ToList();
            if (values.Distinct().Count() > 1) differences.Add(new SpecDifference(path, values));
        }
    }

    private static bool IsStructured(JsonElement element) => element.ValueKind is JsonValueKind.Object or JsonValueKind.Array;

    /// <summary>A value as a researcher reads it: strings unquoted, numbers as written, [a, b, c], {kind: anneal, steps: 2}.</summary>
    private static string Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Array => $"[{string.Join(", ", element.EnumerateArray().Select(Text))}]",
        JsonValueKind.Object => $"{{{string.Join(", ", element.EnumerateObject().Select(p => $"{p.Name}: {Text(p.Value)}"))}}}",
        _ => element.GetRawText(),
    };
}
