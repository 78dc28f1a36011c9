using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LongRecipe.Cli;

/// <summary>A request line that cannot be served; the message names what is wrong with it.</summary>
public sealed class RequestException(string message) : Exception(message);

/// <summary>
/// Serves JSON Lines: one result line per request line, in order. A request that fails gets
/// {"error": "line N: …"} in its place (so results stay aligned) and a line on stderr; the exit
/// code is then 1.
/// </summary>
public static class JsonLines
{
    // Text results (decoded tokens, messages) stay readable: no \uXXXX for quotes or non-ASCII.
    private static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> ServeAsync(Func<JsonObject, JsonObject> handle, CancellationToken cancel = default)
    {
        using var input = new StreamReader(Console.OpenStandardInput());
        await using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var failures = 0;
        var lineNumber = 0;
        while (await input.ReadLineAsync(cancel) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject result;
            try
            {
                var request = JsonNode.Parse(line) as JsonObject ?? throw new RequestException("a request must be a JSON object");
                result = handle(request);
            }
            catch (Exception e) when (e is JsonException or RequestException or ArgumentException or Engine.Torch.TorchException)
            {
                failures++;
                var message = $"line {lineNumber}: {e.Message}";
                await Console.Error.WriteLineAsync(message);
                result = new JsonObject { ["error"] = message };
            }
            await output.WriteLineAsync(result.ToJsonString(Output));
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Reads an optional field of the expected JSON type, naming the field when it is of another.</summary>
    public static T? Field<T>(JsonObject request, string name)
    {
        if (request[name] is not { } node) return default;
        try
        {
            return node.GetValue<T>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new RequestException($"field '{name}' must be {Describe<T>()}, got {node.ToJsonString()}");
        }
    }

    /// <summary>An integer array field; null when absent.</summary>
    public static long[]? Integers(JsonObject request, string name)
    {
        if (request[name] is not { } node) return null;
        if (node is not JsonArray array) throw new RequestException($"field '{name}' must be an array of integers");
        var result = new long[array.Count];
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue value || !value.TryGetValue<long>(out result[i]))
                throw new RequestException($"field '{name}'[{i}] must be an integer, got {array[i]?.ToJsonString() ?? "null"}");
        }
        return result;
    }

    /// <summary>Rejects fields the verb does not know, so a misspelt option is not silently ignored.</summary>
    public static void OnlyFields(JsonObject request, params string[] known)
    {
        foreach (var (name, _) in request)
            if (!known.Contains(name))
                throw new RequestException($"unknown field '{name}' (expected {string.Join(", ", known)})");
    }

    private static string Describe<T>() =>
        typeof(T) == typeof(string) ? "a string" : typeof(T) == typeof(bool) ? "true or false" : "a number";
}
