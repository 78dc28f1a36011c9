using System.Globalization;
using LongRecipe.Engine.Analysis;
using LongRecipe.Lab.Components.Charts;
// The page folder is a namespace of the same name.
using Impact = LongRecipe.Engine.Analysis.TokenImpact;

namespace LongRecipe.Lab.Components.Pages.TokenImpact;

/// <summary>One token as drawn: its text, and for tokens after the first its two scores and δ = S′ − S.</summary>
public sealed record TokenCell(int Index, long TokenId, string Text, double? Base, double? Extended, double? Delta)
{
    public string Tooltip => Delta is { } delta
        ? string.Create(CultureInfo.InvariantCulture, $"'{Text}' · id {TokenId} · base {Base:F3} · extended {Extended:F3} · Δ {delta:+0.000;-0.000}")
        : $"'{Text}' · id {TokenId} · first token, not scored";
}

/// <summary>A token type's mean impact Δ(t) over its occurrences, as the top table shows it.</summary>
public sealed record RankedToken(int Rank, long TokenId, string Text, double MeanDelta, int Count, TokenCategory Category)
{
    /// <summary>The token as the table shows it: white space made visible (a space as ␣, a newline as ↵, a tab as ⇥).</summary>
    public string Shown => ImpactView.Visible(Text);
}

/// <param name="Scale">The 95th percentile of |δ| over the scored tokens: the δ drawn at full colour, so one outlier
/// does not wash out the rest (larger ones saturate).</param>
/// <param name="Impactful">The top 20% of token types by Δ(t), what sentence selection keeps.</param>
/// <param name="Windows">How many windows of the model's context the text was scored in (each window's first token unscored).</param>
public sealed record ImpactView(IReadOnlyList<TokenCell> Cells, IReadOnlyList<RankedToken> Top, ChartFigure Categories,
    IReadOnlySet<long> Impactful, double Scale, int Windows = 1)
{
    /// <summary>The share of |δ| values at or below <see cref="Scale"/>.</summary>
    public const double ScaleQuantile = 0.95;

    /// <summary>
    /// True when every δ is 0: both settings saw the same context (a text inside the truncated window, or one model
    /// twice), so there is nothing to rank.
    /// </summary>
    public bool Identical => Cells.All(c => c.Delta is null or 0);

    /// <summary>
    /// Background for δ: teal where the extended setting scores the token higher, red where lower,
    /// opacity 0.08 + 0.72·min(1, |δ|/Scale) so that large changes are strong and small ones stay readable.
    /// The first token, unscored, gets none.
    /// </summary>
    public string ColorOf(double? delta)
    {
        if (delta is not { } d || Scale <= 0) return "transparent";
        var alpha = (0.08 + 0.72 * Math.Min(1, Math.Abs(d) / Scale)).ToString("F2", CultureInfo.InvariantCulture);
        return d >= 0 ? $"rgba(0, 137, 123, {alpha})" : $"rgba(229, 57, 53, {alpha})";
    }

    /// <summary>Cells, ranking and category shares of one scored document.</summary>
    /// <param name="decode">Text of a run of token ids (the tokenizer's Decode).</param>
    public static ImpactView Build(ScoredDocument document, Func<long[], string> decode, int top = 25, double impactfulFraction = 0.2) =>
        Build([document], decode, top, impactfulFraction);

    /// <summary>Cells, ranking and category shares of a text scored window by window, the windows in order.</summary>
    public static ImpactView Build(IReadOnlyList<ScoredDocument> windows, Func<long[], string> decode, int top = 25, double impactfulFraction = 0.2)
    {
        var cells = new List<TokenCell>();
        var magnitudes = new List<double>();
        foreach (var document in windows)
        {
            var deltas = Impact.PositionDeltas(document);
            var texts = TokenTexts(document.TokenIds, decode);
            cells.Add(new TokenCell(cells.Count, document.TokenIds[0], texts[0], null, null, null));
            for (var i = 1; i < document.TokenIds.Length; i++)
                cells.Add(new TokenCell(cells.Count, document.TokenIds[i], texts[i], document.BaseScores[i - 1], document.ExtendedScores[i - 1], deltas[i - 1]));
            magnitudes.AddRange(deltas.Select(Math.Abs));
        }

        var ranked = Impact.Rank(windows);
        var impactful = Impact.Impactful(ranked, impactfulFraction);
        string Single(long id) => decode([id]);
        var table = ranked.Take(top)
            .Select((t, k) => new RankedToken(k + 1, t.TokenId, Single(t.TokenId), t.MeanDelta, t.Count, TokenCategories.Categorize(Single(t.TokenId))))
            .ToList();
        return new ImpactView(cells, table, CategoryFigure(ranked.Select(t => t.TokenId).ToList(), impactful, Single), impactful,
            RobustScale(magnitudes), windows.Count);
    }

    /// <summary>
    /// The <see cref="ScaleQuantile"/> quantile of the magnitudes by nearest rank (the ⌈0.95·n⌉-th smallest), or
    /// the largest when that is 0 (most δ are 0 but some are not); 0 for none.
    /// </summary>
    internal static double RobustScale(IReadOnlyCollection<double> magnitudes)
    {
        if (magnitudes.Count == 0) return 0;
        var sorted = magnitudes.Order().ToArray();
        var quantile = sorted[(int)Math.Ceiling(ScaleQuantile * sorted.Length) - 1];
        return quantile > 0 ? quantile : sorted[^1];
    }

    /// <summary>White space made visible: ␣ for a space, ↵ for a newline, ⇥ for a tab; other text as it is.</summary>
    public static string Visible(string text) =>
        text.Length > 0 && string.IsNullOrWhiteSpace(text)
            ? string.Concat(text.Select(c => c switch { ' ' => '␣', '\n' => '↵', '\t' => '⇥', _ => '·' }))
            : text;

    /// <summary>
    /// Each token's text as it appears in the decoded document: the growth of the decoded prefix, so
    /// leading spaces that tokenizers strip from a lone token stay where they belong. O(n²) decoding,
    /// fine for the few thousand tokens of a model window.
    /// </summary>
    internal static string[] TokenTexts(long[] ids, Func<long[], string> decode)
    {
        var texts = new string[ids.Length];
        var previous = "";
        for (var i = 0; i < ids.Length; i++)
        {
            var prefix = decode(ids[..(i + 1)]);
            texts[i] = prefix.StartsWith(previous, StringComparison.Ordinal) ? prefix[previous.Length..] : decode([ids[i]]);
            previous = prefix;
        }
        return texts;
    }

    /// <summary>Share of token types per category: all scored types against the impactful ones.</summary>
    private static ChartFigure CategoryFigure(IReadOnlyList<long> all, IReadOnlySet<long> impactful, Func<long, string> decode)
    {
        var categories = Enum.GetValues<TokenCategory>();
        var labels = categories.Select(c => c.ToString()).ToArray();
        double[] Shares(IReadOnlyCollection<long> ids)
        {
            var counts = TokenCategories.Breakdown(ids, decode);
            return categories.Select(c => ids.Count == 0 ? 0 : 100.0 * counts[c] / ids.Count).ToArray();
        }
        return new ChartFigure(
            [
                new ChartTrace("All token types", [], Shares(all)) { Kind = TraceKind.Bar, XLabels = labels, Color = "#90a4ae" },
                new ChartTrace("Impactful (top 20%)", [], Shares(impactful)) { Kind = TraceKind.Bar, XLabels = labels, Color = "#00897b" },
            ],
            new ChartAxis("category"), new ChartAxis("share of token types (%)")) { Legend = LegendPlace.Below, Height = 340 };
    }
}
