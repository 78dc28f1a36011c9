using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using LongRecipe.Engine.Torch;
using static LongRecipe.Engine.SafeTensors.SafeTensorsFormat;

namespace LongRecipe.Engine.SafeTensors;

/// <summary>A validated header: entries in the order their data lies in the file, and where that data starts.</summary>
internal sealed record ParsedHeader(IReadOnlyList<SafeTensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart);

/// <summary>
/// Reads a safetensors header and checks every value a load will use (sizes, offsets, dtypes,
/// shapes) against the file's real length, so that later pointer arithmetic stays inside the file.
/// Utf8JsonReader rather than JsonDocument: it walks keys one by one, which lets duplicate keys
/// (that JsonDocument accepts silently) be rejected.
/// </summary>
internal ref struct HeaderParser
{
    private const string ExpectedDTypes = "F32, F16, BF16, F64, I64, I32, I16, I8, U8 or BOOL";

    private Utf8JsonReader reader;
    private readonly string path;
    private readonly long dataLength;

    private HeaderParser(ReadOnlySpan<byte> json, string path, long dataLength)
    {
        reader = new Utf8JsonReader(json);
        this.path = path;
        this.dataLength = dataLength;
    }

    /// <summary>Reads the length prefix and header from the start of <paramref name="file"/>, named <paramref name="path"/> in errors.</summary>
    public static ParsedHeader Read(FileStream file, string path)
    {
        var fileLength = file.Length;
        if (fileLength < LengthPrefixBytes)
            throw new SafeTensorsFormatException(path, null,
                $"file is {fileLength} bytes, too short for the {LengthPrefixBytes}-byte header length");

        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        file.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        // Both bounds are checked before allocating, so a hostile length cannot make us allocate it.
        if (headerLength > MaxHeaderBytes)
            throw new SafeTensorsFormatException(path, null, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > fileLength - LengthPrefixBytes)
            throw new SafeTensorsFormatException(path, null,
                $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");

        var json = new byte[headerLength];
        file.ReadExactly(json);
        var dataStart = LengthPrefixBytes + (long)headerLength;
        if (!Utf8.IsValid(json))
            throw new SafeTensorsFormatException(path, null, "header is not valid UTF-8");

        var parser = new HeaderParser(json, path, fileLength - dataStart);
        try
        {
            var (entries, metadata) = parser.ParseObject();
            return new ParsedHeader(InDataOrderTilingTheData(entries, path, fileLength - dataStart), metadata, dataStart);
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(path, null, $"header is not valid JSON: {e.Message}", e);
        }
    }

    private (List<SafeTensorsEntry>, IReadOnlyDictionary<string, string>) ParseObject()
    {
        Advance();
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(null, "header is not a JSON object");

        var entries = new List<SafeTensorsEntry>();
        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>().AsReadOnly();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (Advance() == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if (!keys.Add(key))
                throw key == MetadataKey ? Fail(null, $"duplicate key '{MetadataKey}'") : Fail(key, "duplicate tensor name");
            if (key == MetadataKey)
                metadata = ParseMetadata();
            else
                entries.Add(ParseEntry(key));
        }
        // Past the closing brace only whitespace (the writers' padding) may follow: Read throws on anything else.
        reader.Read();
        return (entries, metadata);
    }

    private IReadOnlyDictionary<string, string> ParseMetadata()
    {
        if (Advance() != JsonTokenType.StartObject)
            throw Fail(null, $"'{MetadataKey}' is not a JSON object");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (Advance() == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if (Advance() != JsonTokenType.String)
                throw Fail(null, $"'{MetadataKey}' value of '{key}' is not a string");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Fail(null, $"'{MetadataKey}' has duplicate key '{key}'");
        }
        return metadata.AsReadOnly();
    }

    private SafeTensorsEntry ParseEntry(string name)
    {
        if (Advance() != JsonTokenType.StartObject)
            throw Fail(name, "entry is not a JSON object");

        string? code = null;
        long[]? shape = null, offsets = null;
        while (Advance() == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            Advance();
            switch (field)
            {
                case "dtype" when code is null:
                    code = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Fail(name, "'dtype' is not a string");
                    break;
                case "shape" when shape is null:
                    shape = ParseIntegers(name, field);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ParseIntegers(name, field);
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Fail(name, $"duplicate field '{field}'");
                default:
                    throw Fail(name, $"unknown field '{field}' (expected dtype, shape and data_offsets)");
            }
        }

        if (code is null) throw Fail(name, "missing field 'dtype'");
        if (shape is null) throw Fail(name, "missing field 'shape'");
        if (offsets is null) throw Fail(name, "missing field 'data_offsets'");
        return Validate(name, code, shape, offsets);
    }

    private long[] ParseIntegers(string name, string field)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Fail(name, $"'{field}' is not an array of integers");
        var values = new List<long>();
        while (Advance() != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
                throw Fail(name, $"'{field}' holds a value that is not a 64-bit integer");
            values.Add(value);
        }
        return [.. values];
    }

    private readonly SafeTensorsEntry Validate(string name, string code, long[] shape, long[] offsets)
    {
        if (!TryParseDTypeCode(code, out var dtype))
            throw Fail(name, $"unsupported dtype '{code}' (expected {ExpectedDTypes})");
        foreach (var dim in shape)
            if (dim < 0)
                throw Fail(name, $"negative dimension {dim} in shape {Format(shape)}");

        if (offsets.Length != 2)
            throw Fail(name, $"data_offsets {Format(offsets)} is not a [begin, end] pair");
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin < 0 || end < 0)
            throw Fail(name, $"data_offsets {Format(offsets)} are negative");
        if (begin > end)
            throw Fail(name, $"data_offsets {Format(offsets)} begin after their end");
        if (end > dataLength)
            throw Fail(name, $"data_offsets {Format(offsets)} end past the data buffer ({dataLength} bytes)");

        long needed;
        try
        {
            needed = dtype.ElementSize();
            foreach (var dim in shape) needed = checked(needed * dim);
        }
        catch (OverflowException)
        {
            throw Fail(name, $"shape {Format(shape)} of {code} overflows a 64-bit byte count");
        }
        if (end - begin != needed)
            throw Fail(name, $"data_offsets {Format(offsets)} hold {end - begin} bytes but {code} {Format(shape)} needs {needed}");

        return new SafeTensorsEntry(name, dtype, [.. shape], begin, end);
    }

    /// <summary>
    /// Sorts by begin offset and requires the tensors to tile the data exactly, as the format's specification and its
    /// reference implementation do: each begins where the one before ends, the first at 0, the last at the end of the
    /// file. Bytes no tensor owns (a hole, or trailing data) would let one file be read as two different things. Empty
    /// tensors hold no bytes; the reference writer gives them the offset where the next tensor begins.
    /// </summary>
    private static List<SafeTensorsEntry> InDataOrderTilingTheData(List<SafeTensorsEntry> entries, string path, long dataLength)
    {
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        SafeTensorsEntry? previous = null;
        foreach (var entry in ordered)
        {
            var expected = previous?.End ?? 0;
            if (entry.Begin < expected)
                throw new SafeTensorsFormatException(path, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] overlap those of tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (entry.Begin > expected)
                throw new SafeTensorsFormatException(path, entry.Name, previous is null
                    ? $"data_offsets [{entry.Begin}, {entry.End}] leave bytes [0, {entry.Begin}) of the data unowned; the first tensor must begin at 0"
                    : $"data_offsets [{entry.Begin}, {entry.End}] leave bytes [{expected}, {entry.Begin}) after tensor '{previous.Name}' unowned");
            previous = entry;
        }
        var end = previous?.End ?? 0;
        if (end != dataLength)
            throw new SafeTensorsFormatException(path, null,
                $"the tensors' data ends at byte {end} of {dataLength}: {dataLength - end} trailing bytes belong to no tensor");
        return ordered;
    }

    /// <summary>Moves to the next token. Inside the object a payload that ends early makes Read throw, so false cannot come back there.</summary>
    private JsonTokenType Advance()
    {
        if (!reader.Read())
            throw Fail(null, "header JSON ends early");
        return reader.TokenType;
    }

    private readonly SafeTensorsFormatException Fail(string? name, string problem) => new(path, name, problem);

    private static string Format(long[] values) => $"[{string.Join(", ", values)}]";
}
