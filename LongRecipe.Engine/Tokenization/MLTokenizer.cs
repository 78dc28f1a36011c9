using System.Buffers;
using ML = Microsoft.ML.Tokenizers;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// A tokenizer.json tokenizer (<see cref="Tokenizer"/>) behind Microsoft.ML.Tokenizers' <see cref="ML.Tokenizer"/>,
/// the interface .NET code expects: the ids are this reader's, which match Hugging Face for byte-level BPE
/// (Llama-3, Qwen2) and SentencePiece-style BPE with byte fallback (Llama-2, Mistral), where ML.Tokenizers' own
/// Llama route differs. <paramref name="addSpecialTokens"/> applies the tokenizer's template (Llama's BOS) to every
/// encode. Normalization and pre-tokenization are the tokenizer.json's, always applied, so
/// <see cref="ML.EncodeSettings"/>' switches for them are not read; <see cref="ML.EncodeSettings.MaxTokenCount"/> is.
/// <para>
/// A token's offset is the span of the text that decoding it adds, measured with the tokens just before it
/// (the decoders work on neighbouring tokens only): the input's own characters wherever decoding gives the input
/// back, as it does for Llama-2 and Llama-3. A token that ends inside a character covers the replacement
/// character decoding gives; tokens the template adds cover nothing.
/// </para>
/// </summary>
public sealed class MLTokenizer(Tokenizer tokenizer, bool addSpecialTokens = false) : ML.Tokenizer
{
    // Tokens before the one measured that its decoding may depend on: a character's UTF-8 bytes, 4 at most, with room.
    private const int DecodeContext = 8;

    protected override ML.EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, ML.EncodeSettings settings)
    {
        var input = text ?? textSpan.ToString();
        var ids = tokenizer.Encode(input, addSpecialTokens);
        if (ids.Length <= settings.MaxTokenCount)
            return new ML.EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = input.Length };
        var tokens = EncodeToTokens(text, textSpan, settings);
        return new ML.EncodeResults<int> { Tokens = [.. tokens.Tokens.Select(t => t.Id)], NormalizedText = null, CharsConsumed = tokens.CharsConsumed };
    }

    protected override ML.EncodeResults<ML.EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, ML.EncodeSettings settings)
    {
        var input = text ?? textSpan.ToString();
        var ids = tokenizer.Encode(input, addSpecialTokens);
        var inner = addSpecialTokens ? tokenizer.Encode(input, addSpecialTokens: false) : ids;
        var first = FirstIndexOf(ids, inner);
        var tokens = new List<ML.EncodedToken>(Math.Min(ids.Length, settings.MaxTokenCount));
        var end = 0;
        for (var i = 0; i < ids.Length && tokens.Count < settings.MaxTokenCount; i++)
        {
            var k = i - first;
            var from = end;
            if (k >= 0 && k < inner.Length)
            {
                var context = Math.Max(0, k - DecodeContext);
                end = from + Length(inner.AsSpan(context, k + 1 - context)) - Length(inner.AsSpan(context, k - context));
            }
            tokens.Add(new ML.EncodedToken(ids[i], tokenizer.IdToToken(ids[i]) ?? "", new Range(from, end)));
        }
        return new ML.EncodeResults<ML.EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = Math.Min(end, input.Length) };
    }

    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, ML.EncodeSettings settings) =>
        Math.Min(tokenizer.Encode(text ?? textSpan.ToString(), addSpecialTokens).Length, settings.MaxTokenCount);

    public override string Decode(IEnumerable<int> ids) => tokenizer.Decode([.. ids]);

    /// <summary>Decodes as many of the ids as fit in <paramref name="destination"/> (DestinationTooSmall when not all do).</summary>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        int[] all = [.. ids];
        var (fit, text) = (all.Length, tokenizer.Decode(all));
        // The longest prefix whose text fits: decoding a prefix never gives more characters than the whole.
        if (text.Length > destination.Length)
        {
            var (low, high) = (0, all.Length);
            while (low < high)
            {
                var middle = (low + high + 1) / 2;
                if (Length(all.AsSpan(0, middle)) <= destination.Length) low = middle;
                else high = middle - 1;
            }
            (fit, text) = (low, tokenizer.Decode(all.AsSpan(0, low)));
        }
        text.CopyTo(destination);
        (idsConsumed, charsWritten) = (fit, text.Length);
        return fit == all.Length ? OperationStatus.Done : OperationStatus.DestinationTooSmall;
    }

    private int Length(ReadOnlySpan<int> ids) => ids.IsEmpty ? 0 : tokenizer.Decode(ids).Length;

    private static int FirstIndexOf(int[] ids, int[] inner)
    {
        for (var i = 0; i + inner.Length <= ids.Length; i++)
            if (ids.AsSpan(i, inner.Length).SequenceEqual(inner)) return i;
        return 0;
    }
}
