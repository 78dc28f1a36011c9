using System.Text;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// Turns token strings back into text, as HF's decoders do: each step maps the list of strings to a new
/// list, and the final list is concatenated.
/// </summary>
internal interface IDecoder
{
    List<string> DecodeChain(List<string> tokens);
}

/// <summary>
/// Maps byte-level characters back to bytes (<see cref="ByteLevel.AppendBytes"/>) and reads all tokens'
/// bytes together as UTF-8, so a character split across tokens comes back whole; invalid sequences become
/// U+FFFD (one per maximal invalid subsequence, as Rust's from_utf8_lossy).
/// </summary>
internal sealed record ByteLevelDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens) ByteLevel.AppendBytes(token, bytes);
        return [Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))];
    }
}

/// <summary>Replaces a pattern in every token (Llama-2: "▁" → " ").</summary>
internal sealed record ReplaceDecoder(TextPattern Pattern, string Content) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(t => Pattern.Replace(t, Content));
}

/// <summary>
/// Turns runs of "&lt;0xNN&gt;" tokens into the text their bytes spell; a run that is not valid UTF-8
/// becomes one U+FFFD per byte.
/// </summary>
internal sealed record ByteFallbackDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            if (TryParseByte(token, out var b))
            {
                bytes.Add(b);
                continue;
            }
            Flush(bytes, result);
            result.Add(token);
        }
        Flush(bytes, result);
        return result;
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void Flush(List<byte> bytes, List<string> result)
    {
        if (bytes.Count == 0) return;
        try
        {
            result.Add(Strict.GetString(bytes.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (var i = 0; i < bytes.Count; i++) result.Add("\uFFFD");
        }
        bytes.Clear();
    }

    private static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }
}

/// <summary>Joins all tokens into one.</summary>
internal sealed record FuseDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>
/// Removes up to <see cref="Start"/> leading and <see cref="Stop"/> trailing occurrences of
/// <see cref="Content"/> from every token (Llama-2: the space its normalizer put in front).
/// </summary>
internal sealed record StripDecoder(string Content, int Start, int Stop) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(Strip);

    private string Strip(string token)
    {
        var begin = 0;
        for (var i = 0; i < Start && token.AsSpan(begin).StartsWith(Content, StringComparison.Ordinal); i++)
            begin += Content.Length;
        var end = token.Length;
        for (var i = 0; i < Stop && end - Content.Length >= begin && token.AsSpan(begin, end - begin).EndsWith(Content, StringComparison.Ordinal); i++)
            end -= Content.Length;
        return token[begin..end];
    }
}

/// <summary>
/// Undoes <see cref="Metaspace"/>: the replacement character becomes a space, except in the first
/// token, where (unless the scheme is Never) it is dropped.
/// </summary>
internal sealed record MetaspaceDecoder(string Replacement, bool DropInFirstToken) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
            result.Add(tokens[i].Replace(Replacement, i == 0 && DropInFirstToken ? "" : " ", StringComparison.Ordinal));
        return result;
    }
}

/// <summary>Applies each decoder in turn.</summary>
internal sealed record SequenceDecoder(IReadOnlyList<IDecoder> Decoders) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var decoder in Decoders) tokens = decoder.DecodeChain(tokens);
        return tokens;
    }
}
