using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using LongRecipe.Engine.IO;

namespace LongRecipe.Cli;

/// <summary>A request line that cannot be served; the message names what is wrong with it.</summary>
public sealed class RequestException(string message) : Exception(message);

/// <summary>
/// Serves JSON Lines: one result line per request line, in order. Requests are read with the engine's JSON field
/// reader, so a mistyped or missing field is named as config.json's are ("line 3: input_ids[2] must be an
/// integer, got "x""). A request that fails gets {"error": "line N: …"} in its place (so results stay aligned)
/// and a line on stderr; the exit code is then 1. A blank line is a request too, answered with an error, so that line N
/// of the output always answers line N of the input; so are a line that is not UTF-8 and a text with half a surrogate
/// pair. JSON has no NaN or ±∞: a number that is not finite is written as null (<see cref="Numbers"/>), and a result
/// that still cannot be written becomes its line's error; the stream goes on. So does an arithmetic overflow on a
/// request's values, answered as that line's error with the exception's name.
/// </summary>
public static class JsonLines
{
    // Text results (decoded tokens, messages) stay readable: no \uXXXX for quotes or non-ASCII.
    private static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> ServeAsync(Func<JsonField, JsonObject> handle, CancellationToken cancel = default)
    {
        await using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var failures = 0;
        var lineNumber = 0;
        await foreach (var bytes in Lines(Console.OpenStandardInput(), cancel))
        {
            // A cancel stops between requests, lines already read included: each answered line stays whole.
            cancel.ThrowIfCancellationRequested();
            lineNumber++;
            var source = $"line {lineNumber}";
            string answer;
            try
            {
                var line = Text(bytes, first: lineNumber == 1);
                if (string.IsNullOrWhiteSpace(line)) throw new RequestException("empty request (one JSON object a line)");
                using var request = JsonField.Parse(line, source);
                answer = handle(JsonField.Root(request, source)).ToJsonString(Output);
            }
            // An overflow or a division by zero comes from a request's values (a check that is missing), so it answers
            // that line, naming the exception so that the missing check is reported rather than hidden.
            catch (Exception e) when (e is JsonFieldException or RequestException or ArgumentException or ArithmeticException or Engine.Torch.TorchException)
            {
                failures++;
                var message = e switch
                {
                    JsonFieldException => e.Message,
                    ArithmeticException => $"{source}: {e.GetType().Name} on this request's values ({e.Message}); a check is missing here, please report it",
                    _ => $"{source}: {Reason(e)}",
                };
                await Console.Error.WriteLineAsync(message);
                answer = new JsonObject { ["error"] = message }.ToJsonString(Output);
            }
            await output.WriteLineAsync(answer);
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The stream's lines as bytes, split at '\n' (a last line without one included), for <see cref="Text"/> to decode.</summary>
    private static async IAsyncEnumerable<byte[]> Lines(Stream stream, [EnumeratorCancellation] CancellationToken cancel)
    {
        var reader = PipeReader.Create(stream);
        var lines = new List<byte[]>();
        while (true)
        {
            var read = await reader.ReadAsync(cancel);
            var buffer = read.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                lines.Add(buffer.Slice(0, end).ToArray());
                buffer = buffer.Slice(buffer.GetPosition(1, end));
            }
            if (read.IsCompleted && !buffer.IsEmpty) lines.Add(buffer.ToArray());
            reader.AdvanceTo(read.IsCompleted ? buffer.End : buffer.Start, buffer.End);
            foreach (var line in lines) yield return line;
            lines.Clear();
            if (read.IsCompleted) break;
        }
        await reader.CompleteAsync();
    }

    /// <summary>
    /// A line's text without its '\r' (from "\r\n") and, on the first line, a byte order mark (PowerShell's pipes write
    /// one; it starts the stream, not the request). Bytes that are not UTF-8 make the line an error rather than
    /// U+FFFD (as a StreamReader would replace them): JSON text is UTF-8, and an answer to the replaced text would
    /// answer a request nobody sent, with nothing on stdout to tell it apart.
    /// </summary>
    private static string Text(byte[] line, bool first)
    {
        var bytes = line.AsSpan();
        if (first && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        if (bytes is [.., (byte)'\r']) bytes = bytes[..^1];
        var text = new char[bytes.Length];
        return Utf8.ToUtf16(bytes, text, out var read, out var written, replaceInvalidSequences: false) == OperationStatus.Done
            ? new string(text, 0, written)
            : throw new RequestException($"byte {read} (0x{bytes[read]:X2}) is not UTF-8; a request is UTF-8 JSON");
    }

    /// <summary>
    /// An exception's message without .NET's "(Parameter 'name')" suffix, which names a C# parameter, not a request field;
    /// an aggregate's distinct causes, not "One or more errors occurred".
    /// </summary>
    public static string Reason(Exception e) => e switch
    {
        // Work done on several threads fails as an aggregate: its distinct causes are the reason, once each.
        AggregateException aggregate => string.Join("; ", aggregate.Flatten().InnerExceptions.Select(Reason).Distinct()),
        ArgumentException { ParamName: { } name } => e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal),
        _ => e.Message,
    };

    /// <summary>Numbers as a JSON array, those that are not finite (NaN, ±∞) as null; and how many those were.</summary>
    public static (JsonArray Values, int NonFinite) Numbers(IEnumerable<double> values)
    {
        var nonFinite = 0;
        var array = new JsonArray();
        foreach (var value in values)
        {
            if (double.IsFinite(value)) array.Add(value);
            else
            {
                array.Add(null);
                nonFinite++;
            }
        }
        return (array, nonFinite);
    }
}
