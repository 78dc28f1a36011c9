using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace LongRecipe.Engine.Corpora;

/// <summary>
/// A corpus source read as UTF-8 lines, split at '\n' (a '\r' before it stays with the line, so joining the lines
/// with '\n' gives the text back), with a leading byte order mark dropped. What is not text is refused with a
/// message naming the file: a NUL byte anywhere, or a first <see cref="SampleBytes"/> of which more than
/// <see cref="MaxControlShare"/> are control bytes other than tab, line feed, form feed and carriage return, or more
/// than <see cref="MaxInvalidShare"/> are not UTF-8 (random bytes, compressed data, text in another encoding throughout).
/// Invalid UTF-8 below that is replaced by U+FFFD, one per maximal invalid sequence (as the Unicode standard and .NET's
/// decoder do), and counted per line for <see cref="Report"/>.
/// </summary>
internal sealed class TextFile(string path)
{
    public const int SampleBytes = 64 * 1024;
    public const double MaxControlShare = 0.1;
    public const double MaxInvalidShare = 0.1;

    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    // UTF-32 first: its little-endian mark begins with UTF-16's.
    private static readonly (byte[] Mark, string Encoding)[] OtherEncodings =
    [
        ([0xFF, 0xFE, 0x00, 0x00], "UTF-32LE"), ([0x00, 0x00, 0xFE, 0xFF], "UTF-32BE"), ([0xFF, 0xFE], "UTF-16LE"), ([0xFE, 0xFF], "UTF-16BE"),
    ];
    private readonly List<(int Line, int Bytes)> replaced = [];

    /// <summary>
    /// The lines, numbered from 1: what stands between line breaks, so a file ending in one ends with an empty line; each
    /// with <c>End</c>, the bytes of the file up to its end and its line break.
    /// </summary>
    public IEnumerable<(int Number, string Text, long End)> Lines()
    {
        CheckNotBinary();
        using var stream = File.OpenRead(path);
        var line = new MemoryStream();
        var buffer = new byte[1 << 16];
        var number = 0;
        long before = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                line.Write(buffer, start, i - start);
                number++;
                var text = Decode(number, line);
                line = Emptied(line);
                yield return (number, text, before + i + 1);
                start = i + 1;
            }
            line.Write(buffer, start, read - start);
            before += read;
        }
        number++;
        var last = Decode(number, line);
        line = Emptied(line);
        yield return (number, last, before);
    }

    // A long line's bytes are let go before its text is handed on (and worked on, for minutes maybe); a short line's buffer serves the next.
    private static MemoryStream Emptied(MemoryStream line)
    {
        if (line.Capacity > 1 << 20) return new MemoryStream();
        line.SetLength(0);
        return line;
    }

    /// <summary>Tells <paramref name="warn"/> how many bytes were replaced, and on which lines, when any were.</summary>
    public void Report(Action<CorpusWarning>? warn)
    {
        if (replaced.Count == 0) return;
        var lines = string.Join(", ", replaced.Take(10).Select(r => r.Line)) + (replaced.Count > 10 ? $" and {replaced.Count - 10} more" : "");
        warn?.Invoke(new CorpusWarning(path, null,
            $"{replaced.Sum(r => r.Bytes)} invalid UTF-8 bytes replaced by U+FFFD, on line{(replaced.Count > 1 ? "s" : "")} {lines}"));
    }

    private void CheckNotBinary()
    {
        var sample = new byte[SampleBytes];
        int length;
        using (var stream = File.OpenRead(path)) length = stream.ReadAtLeast(sample, SampleBytes, throwOnEndOfStream: false);
        var bytes = sample.AsSpan(0, length);
        foreach (var (mark, encoding) in OtherEncodings)
            if (bytes.StartsWith(mark))
                throw new CorpusFormatException($"{path}: {encoding} text (its byte order mark), not UTF-8; " +
                                                $"convert it first, e.g. iconv -f {encoding} -t UTF-8");
        var control = 0;
        foreach (var b in bytes)
            if (b is < 0x20 and not ((byte)'\t' or (byte)'\n' or (byte)'\f' or (byte)'\r') or 0x7F) control++;
        if (bytes.IndexOf((byte)0) is var nul and >= 0)
            throw Binary($"a NUL byte at offset {nul}");
        if (length > 0 && control > MaxControlShare * length)
            throw Binary(string.Create(CultureInfo.InvariantCulture, $"{100.0 * control / length:F0}% control bytes in its first {length:N0}"));
        // A character cut by the sample's end is not held against the file.
        var invalid = InvalidBytes(length == SampleBytes ? bytes[..^3] : bytes);
        if (length > 0 && invalid > MaxInvalidShare * length)
            throw Binary(string.Create(CultureInfo.InvariantCulture,
                $"{100.0 * invalid / length:F0}% of its first {length:N0} bytes are not UTF-8; text in another encoding must be converted to UTF-8 first"));
    }

    private static int InvalidBytes(ReadOnlySpan<byte> bytes)
    {
        var invalid = 0;
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out _, out var consumed) != OperationStatus.Done) invalid += consumed;
            bytes = bytes[consumed..];
        }
        return invalid;
    }

    private CorpusFormatException Binary(string evidence) =>
        new($"{path}: binary data, not text ({evidence}); a corpus source is UTF-8 text (.txt, or .jsonl with one JSON object per line)");

    private string Decode(int number, MemoryStream line)
    {
        var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (number == 1 && bytes.StartsWith(ByteOrderMark)) bytes = bytes[ByteOrderMark.Length..];
        if (bytes.IndexOf((byte)0) >= 0) throw new CorpusFormatException($"{path}: line {number}: binary data, not text (a NUL byte)");
        if (Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var text = new StringBuilder(bytes.Length);
        var invalid = 0;
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var consumed) == OperationStatus.Done) text.Append(rune.ToString());
            else
            {
                text.Append('\uFFFD');
                invalid += consumed;
            }
            bytes = bytes[consumed..];
        }
        replaced.Add((number, invalid));
        return text.ToString();
    }
}
