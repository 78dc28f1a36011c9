using System.Text.Json;

namespace LongRecipe.Engine.Corpora;

/// <summary>Something in a corpus source worth knowing that did not stop the read: replaced bytes, an empty document skipped.</summary>
public sealed record CorpusWarning(string File, int? Line, string Message)
{
    public override string ToString() => Line is { } line ? $"{File}: line {line}: {Message}" : $"{File}: {Message}";
}

/// <summary>
/// Reads corpus sources: a .txt file is one document; a .jsonl file holds one JSON object per
/// line with exactly one of {"text"}, {"input_ids"} or {"prompt", "response"} (a real-text corpus's
/// "id", "source" and "title" may stand beside "text"). Anything else — an unknown field, a wrong type,
/// a half pair — stops the read with the file, line and field named. So does a binary file (<see cref="TextFile"/>).
/// Invalid UTF-8 is replaced by U+FFFD and reported through <c>warn</c>, once per file with the count and
/// lines; an empty document is skipped with a warning naming its line. Before each document is handed over,
/// <c>read</c> hears how many bytes of the file lie up to its end.
/// </summary>
public static class CorpusReader
{
    // Fields a real-text corpus line carries beside its text; they describe it and are not trained on.
    private static readonly HashSet<string> Metadata = ["id", "source", "title"];

    public static IEnumerable<CorpusDocument> Read(string path, Action<CorpusWarning>? warn = null, IProgress<long>? read = null)
    {
        FileHash.RequireFile(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".txt" => ReadText(path, warn, read),
            ".jsonl" => ReadJsonLines(path, warn, read),
            var other => throw new CorpusFormatException($"{path}: unsupported corpus file type '{other}' (expected .txt or .jsonl)"),
        };
    }

    private static IEnumerable<CorpusDocument> ReadText(string path, Action<CorpusWarning>? warn, IProgress<long>? read)
    {
        var file = new TextFile(path);
        var end = 0L;
        var text = string.Join('\n', file.Lines().Select(l =>
        {
            end = l.End;
            return l.Text;
        }));
        file.Report(warn);
        if (string.IsNullOrWhiteSpace(text))
        {
            warn?.Invoke(new CorpusWarning(path, null, "empty document, skipped"));
            yield break;
        }
        read?.Report(end);
        yield return new CorpusDocument(Text: text);
    }

    private static IEnumerable<CorpusDocument> ReadJsonLines(string path, Action<CorpusWarning>? warn, IProgress<long>? read)
    {
        var file = new TextFile(path);
        foreach (var (number, line, end) in file.Lines())
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var document = Parse(line, $"{path}: line {number}");
            if (IsEmpty(document)) warn?.Invoke(new CorpusWarning(path, number, "empty document, skipped"));
            else
            {
                read?.Report(end);
                yield return document;
            }
        }
        file.Report(warn);
    }

    private static bool IsEmpty(CorpusDocument document) =>
        document.TokenIds is { Length: 0 } || (document.TokenIds is null && string.IsNullOrWhiteSpace(document.TextToTokenize));

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
            var described = false;
            foreach (var field in json.RootElement.EnumerateObject())
            {
                if (Metadata.Contains(field.Name))
                {
                    String(field, where);
                    described = true;
                    continue;
                }
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
            if (described && text is null) throw new CorpusFormatException($"{where}: id, source and title describe a text; the line has no 'text'");
            if ((prompt is null) != (response is null))
                throw new CorpusFormatException($"{where}: field '{(prompt is null ? "prompt" : "response")}' is missing (a pair needs both)");
            return new CorpusDocument(text, ids, prompt, response);
        }
    }

    private static string String(JsonProperty field, string where)
    {
        if (field.Value.ValueKind != JsonValueKind.String) throw new CorpusFormatException($"{where}: field '{field.Name}' must be a string");
        try
        {
            return field.Value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // JSON's \uXXXX escapes can spell half a surrogate pair, which is no text.
            throw new CorpusFormatException($"{where}: field '{field.Name}' holds a lone surrogate (a \\uD800–\\uDFFF escape without its pair)");
        }
    }

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
