using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using static LongRecipe.Engine.SafeTensors.SafeTensorsFormat;

namespace LongRecipe.Engine.SafeTensors;

/// <summary>Writes the JSON header for entries already laid out, padded with spaces so the data buffer starts 8-byte aligned.</summary>
internal static class HeaderEncoder
{
    /// <summary>
    /// The header bytes: "__metadata__" first (when there is any, keys in ordinal order), then
    /// the entries in the order given. The same input always gives the same bytes.
    /// </summary>
    public static byte[] Encode(IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // The relaxed encoder writes non-ASCII names as UTF-8 instead of \u escapes; it still escapes
        // quotes and control characters, which is all JSON needs (HTML-safety does not matter here).
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", DTypeCode(entry.DType));
                json.WriteStartArray("shape");
                foreach (var dim in entry.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(entry.Begin);
                json.WriteNumberValue(entry.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        // The 8-byte length prefix is itself aligned, so padding the header to a multiple of 8 aligns the data.
        var padded = (buffer.WrittenCount + DataAlignment - 1) / DataAlignment * DataAlignment;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
