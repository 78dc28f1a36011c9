using System.Text;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ character mapping: every UTF-8 byte becomes one printable character, so a
/// byte-level BPE vocabulary can be stored as text. Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to
/// themselves; the other 68 (control bytes, space, 0x7F–0xA0, 0xAD) map in order to U+0100, U+0101, …
/// (so space is 'Ġ' U+0120 and '\n' is 'Ċ' U+010A).
/// </summary>
internal static class ByteLevel
{
    public static readonly char[] ByteToChar = BuildByteToChar();

    // Indexed by character; -1 for characters outside the mapping. All mapped characters are below U+0144.
    private static readonly short[] CharToByte = BuildCharToByte();

    /// <summary>
    /// The byte-level form of a text: its UTF-8 bytes, each as its mapped character. A lone surrogate,
    /// which has no UTF-8 form, is encoded as U+FFFD (Rust strings, what HF sees, cannot hold one).
    /// </summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        Span<byte> bytes = length <= 1024 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(text, bytes);
        Span<char> chars = length <= 1024 ? stackalloc char[length] : new char[length];
        for (var i = 0; i < length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// Appends the bytes a token stands for: its characters mapped back when every one of them is in the
    /// mapping, otherwise the token's own UTF-8 (as HF does for, e.g., added tokens with other characters).
    /// </summary>
    public static void AppendBytes(string token, List<byte> bytes)
    {
        foreach (var c in token)
        {
            if (c >= CharToByte.Length || CharToByte[c] < 0)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
        }
        foreach (var c in token) bytes.Add((byte)CharToByte[c]);
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[ByteToChar.Max() + 1];
        Array.Fill(map, (short)-1);
        for (var b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }
}
