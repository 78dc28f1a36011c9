using System.Text.Json;

namespace LongRecipe.Engine.Corpora;

/// <summary>
/// Reads corpus sources: a .txt file is one document; a .jsonl file holds one JSON object per
/// line with exactly one of {"text"}, {"input_ids"} or {"prompt", "response"}. Anything else — an
/// unknown field, a wrong type, a half pair — stops the read with the file, line and field named.
/// </summary>
public static class CorpusReader
{
    public static IEnumerable<CorpusDocument> Read(string path)
    {
        if (!File.Exists(path)) throw new CorpusFormatException($"{path}: no such file");
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".txt" => [new CorpusDocument(Text: File.ReadAllText(path))],
            ".jsonl" => ReadJsonLines(path),
            var other => throw new CorpusFormatException($"{path}: unsupported corpus file type '{other}' (expected .txt or .jsonl)"),
        };
    }

    private static IEnumerable<CorpusDocument> ReadJsonLines(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return Parse(line, $"{path}: line {lineNumber}");
        }
    }

    private static CorpusDocument Parse(string line, string where)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new CorpusFormatException($"{where}: not valid JSON ({e.Message})");
        }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw new CorpusFormatException($"{where}: a line must be a JSON object");
            string? text = null, prompt = null, response = null;
            int[]? ids = null;
            foreach (var field in json.RootElement.EnumerateObject())
            {
                switch (field.Name)
                {
                    case "text": text = String(field, where); break;
                    case "prompt": prompt = String(field, where); break;
                    case "response": response = String(field, where); break;
                    case "input_ids": ids = Ids(field, where); break;
                    default:
                        throw new CorpusFormatException($"{where}: unknown field '{field.Name}' (expected text, input_ids, or prompt and response)");
                }
            }
            var shapes = (text is null ? 0 : 1) + (ids is null ? 0 : 1) + (prompt is null && response is null ? 0 : 1);
            if (shapes != 1) throw new CorpusFormatException($"{where}: a line needs exactly one of text, input_ids, or prompt and response");
            if ((prompt is null) != (response is null))
                throw new CorpusFormatException($"{where}: field '{(prompt is null ? "prompt" : "response")}' is missing (a pair needs both)");
            return new CorpusDocument(text, ids, prompt, response);
        }
    }

    private static string String(JsonProperty field, string where) =>
        field.Value.ValueKind == JsonValueKind.String
            ? field.Value.GetString()!
            : throw new CorpusFormatException($"{where}: field '{field.Name}' must be a string");

    private static int[] Ids(JsonProperty field, string where)
    {
        if (field.Value.ValueKind != JsonValueKind.Array) throw new CorpusFormatException($"{where}: field 'input_ids' must be an array of integers");
        var ids = new int[field.Value.GetArrayLength()];
        var i = 0;
        foreach (var item in field.Value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out ids[i]) || ids[i] < 0)
                throw new CorpusFormatException($"{where}: field 'input_ids'[{i}] must be a non-negative integer");
            i++;
        }
        return ids;
    }
}
