using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using LongRecipe.Engine.IO;

namespace LongRecipe.Cli;

/// <summary>A request line that cannot be served; the message names what is wrong with it.</summary>
public sealed class RequestException(string message) : Exception(message);

/// <summary>
/// Serves JSON Lines: one result line per request line, in order. Requests are read with the engine's JSON field
/// reader, so a mistyped or missing field is named as config.json's are ("line 3: input_ids[2] must be an
/// integer, got "x""). A request that fails gets {"error": "line N: …"} in its place (so results stay aligned)
/// and a line on stderr; the exit code is then 1.
/// </summary>
public static class JsonLines
{
    // Text results (decoded tokens, messages) stay readable: no \uXXXX for quotes or non-ASCII.
    private static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> ServeAsync(Func<JsonField, JsonObject> handle, CancellationToken cancel = default)
    {
        using var input = new StreamReader(Console.OpenStandardInput());
        await using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var failures = 0;
        var lineNumber = 0;
        while (await input.ReadLineAsync(cancel) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var source = $"line {lineNumber}";
            JsonObject result;
            try
            {
                using var request = JsonField.Parse(line, source);
                result = handle(JsonField.Root(request, source));
            }
            catch (Exception e) when (e is JsonFieldException or RequestException or ArgumentException or Engine.Torch.TorchException)
            {
                failures++;
                var message = e is JsonFieldException ? e.Message : $"{source}: {Reason(e)}";
                await Console.Error.WriteLineAsync(message);
                result = new JsonObject { ["error"] = message };
            }
            await output.WriteLineAsync(result.ToJsonString(Output));
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>An exception's message without .NET's "(Parameter 'name')" suffix, which names a C# parameter, not a request field.</summary>
    public static string Reason(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
}
