namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// Rewrites a stretch of input (the text between added tokens) before pre-tokenization, as HF's
/// normalizers do. Llama-2 and Mistral use Sequence[Prepend("▁"), Replace(" " → "▁")].
/// </summary>
internal interface INormalizer
{
    string Normalize(string text);
}

/// <summary>Puts <see cref="Prefix"/> in front of a non-empty text; an empty text stays empty.</summary>
internal sealed record PrependNormalizer(string Prefix) : INormalizer
{
    public string Normalize(string text) => text.Length == 0 ? text : Prefix + text;
}

/// <summary>Replaces every occurrence of a pattern (a literal string or a regex), left to right.</summary>
internal sealed record ReplaceNormalizer(TextPattern Pattern, string Content) : INormalizer
{
    public string Normalize(string text) => Pattern.Replace(text, Content);
}

/// <summary>Applies each normalizer in turn.</summary>
internal sealed record SequenceNormalizer(IReadOnlyList<INormalizer> Normalizers) : INormalizer
{
    public string Normalize(string text)
    {
        foreach (var normalizer in Normalizers) text = normalizer.Normalize(text);
        return text;
    }
}
