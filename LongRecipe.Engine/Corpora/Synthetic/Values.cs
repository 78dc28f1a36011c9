using System.Globalization;

namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// Generators for the values facts carry and filler mentions: numbers, dates, codes, amounts.
/// Numerals matter: the paper finds them over-represented among the tokens long context helps.
/// </summary>
internal static class Values
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>An integer with 1 to 4 digits, small ones more often (e.g. 7, 38, 412, 2917).</summary>
    public static string Number(Draw draw) => draw.Int(1, (int)Math.Pow(10, draw.Int(1, 5))).ToString(Invariant);

    /// <summary>How many of something, 2 to 999.</summary>
    public static string Count(Draw draw) => draw.Int(2, 1000).ToString(Invariant);

    public static string Year(Draw draw) => draw.Int(1890, 2025).ToString(Invariant);

    /// <summary>A date as "14 March 1987".</summary>
    public static string Date(Draw draw) =>
        $"{draw.Int(1, 29).ToString(Invariant)} {draw.Pick(Vocabulary.Months)} {Year(draw)}";

    /// <summary>A code as "KX-4471": two capitals, a hyphen, four digits.</summary>
    public static string Code(Draw draw) => $"{Letter(draw)}{Letter(draw)}-{draw.Int(1000, 10_000).ToString(Invariant)}";

    /// <summary>An alphanumeric identifier as "7F3Q92AK": eight capitals or digits.</summary>
    public static string Identifier(Draw draw) =>
        string.Concat(Enumerable.Range(0, 8).Select(_ => draw.Chance(0.5) ? Letter(draw) : (char)('0' + draw.Int(0, 10))));

    /// <summary>A sum of money as "$48,200" (whole hundreds, 100 to 999,900).</summary>
    public static string Amount(Draw draw) => "$" + (draw.Int(1, 10_000) * 100).ToString("N0", Invariant);

    /// <summary>A person as "Maria Keller".</summary>
    public static string Person(Draw draw) => $"{draw.Pick(Vocabulary.FirstNames)} {draw.Pick(Vocabulary.Surnames)}";

    private static char Letter(Draw draw) => (char)('A' + draw.Int(0, 26));
}
