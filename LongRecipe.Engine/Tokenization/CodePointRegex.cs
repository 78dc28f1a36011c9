using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// A regular expression that matches code points the way Oniguruma, HF tokenizers' engine, does.
/// .NET matches UTF-16 units, so an astral letter such as 𝐀 (U+1D400, two surrogates) would not match
/// \p{L} and \p{N}{1,3} would count units. Before matching, each astral code point is replaced by a BMP
/// stand-in of the same general category; match bounds are mapped back to the original text.
/// Texts without surrogates (nearly all) are matched as they are.
/// </summary>
internal sealed class CodePointRegex
{
    private readonly Regex regex;

    /// <exception cref="ArgumentException">The pattern is not valid .NET syntax.</exception>
    public CodePointRegex(string pattern) =>
        regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>
    /// Hands each match in <paramref name="text"/> to <paramref name="match"/>, left to right and non-overlapping, as
    /// (start, length) in UTF-16 units of <paramref name="text"/>, as it is found: a long text's matches are never all held.
    /// </summary>
    public void Matches(string text, Action<int, int> match)
    {
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in regex.EnumerateMatches(text)) match(m.Index, m.Length);
            return;
        }
        // Matches come in order, so one cursor walks the text beside the proxy, two units for each astral code point.
        var proxy = BmpProxy(text);
        var (at, inText) = (0, 0);
        int InText(int proxyIndex)
        {
            for (; at < proxyIndex; at++) inText += IsAstral(text, inText) ? 2 : 1;
            return inText;
        }
        foreach (var m in regex.EnumerateMatches(proxy))
        {
            var start = InText(m.Index);
            match(start, InText(m.Index + m.Length) - start);
        }
    }

    /// <summary>The text with every astral code point replaced by one BMP character of its category.</summary>
    private static string BmpProxy(string text)
    {
        var proxy = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i += IsAstral(text, i) ? 2 : 1)
            // An astral code point's stand-in; a BMP character, or a lone surrogate, as it is.
            proxy.Append(IsAstral(text, i) ? StandIn[(int)Rune.GetUnicodeCategory(Rune.GetRuneAt(text, i))] : text[i]);
        return proxy.ToString();
    }

    private static bool IsAstral(string text, int index) =>
        char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]);

    /// <summary>
    /// One BMP character per <see cref="UnicodeCategory"/>, from scripts that patterns rarely name
    /// literally. Categories that no astral code point has (spaces, separators, controls, surrogates)
    /// still get a member so that the table is total.
    /// </summary>
    internal static readonly char[] StandIn =
    [
        '\u0531', // UppercaseLetter: Armenian Ա
        '\u0561', // LowercaseLetter: Armenian ա
        '\u01C5', // TitlecaseLetter: ǅ
        '\u02B0', // ModifierLetter: ʰ
        '\uA000', // OtherLetter: Yi ꀀ
        '\u0300', // NonSpacingMark: combining grave
        '\u0903', // SpacingCombiningMark: Devanagari visarga
        '\u0488', // EnclosingMark: combining Cyrillic hundred thousands
        '\u0660', // DecimalDigitNumber: Arabic-Indic zero
        '\u2160', // LetterNumber: Roman numeral one
        '\u00B2', // OtherNumber: superscript two
        '\u3000', // SpaceSeparator: ideographic space
        '\u2028', // LineSeparator
        '\u2029', // ParagraphSeparator
        '\u0001', // Control
        '\u00AD', // Format: soft hyphen
        '\uD800', // Surrogate
        '\uE000', // PrivateUse
        '\u203F', // ConnectorPunctuation: undertie
        '\u2010', // DashPunctuation: hyphen
        '\u2045', // OpenPunctuation: left square bracket with quill
        '\u2046', // ClosePunctuation: right square bracket with quill
        '\u2039', // InitialQuotePunctuation: ‹
        '\u203A', // FinalQuotePunctuation: ›
        '\u2051', // OtherPunctuation: two asterisks aligned vertically
        '\u2200', // MathSymbol: ∀
        '\u20A0', // CurrencySymbol: ₠
        '\u02C2', // ModifierSymbol: ˂
        '\u2100', // OtherSymbol: ℀
        '\u0378', // OtherNotAssigned
    ];
}
