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
/// <summary>Unicode normalization (NFC, NFD, NFKC, NFKD; Qwen2 uses NFC), through the ICU library .NET uses on Linux.</summary>
internal sealed record UnicodeNormalizer(System.Text.NormalizationForm Form) : INormalizer
{
    /// <summary>False where .NET runs without ICU (invariant globalization), where normalizing silently does nothing.</summary>
    public static bool IsAvailable { get; } = "e\u0301".Normalize(System.Text.NormalizationForm.FormC) == "\u00e9";

    public string Normalize(string text) => text.Normalize(Form);
}

internal sealed record SequenceNormalizer(IReadOnlyList<INormalizer> Normalizers) : INormalizer
{
    public string Normalize(string text)
    {
        foreach (var normalizer in Normalizers) text = normalizer.Normalize(text);
        return text;
    }
}
