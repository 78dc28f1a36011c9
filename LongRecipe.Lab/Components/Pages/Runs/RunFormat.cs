using System.Globalization;

namespace LongRecipe.Lab.Components.Pages.Runs;

/// <summary>How the Runs pages write numbers and times: invariant culture, times in UTC, "—" for nothing.</summary>
public static class RunFormat
{
    public const string None = "—";

    /// <summary>What a page says of runs the store lacks, e.g. "There is no run 7; it may have been deleted."</summary>
    public static string NoRuns(IReadOnlyList<long> ids) => ids.Count == 1
        ? $"There is no run {ids[0]}; it may have been deleted."
        : $"There are no runs {string.Join(", ", ids)}; they may have been deleted.";

    /// <summary>The UTC day, e.g. 2026-11-22.</summary>
    public static string Day(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The UTC time of day, e.g. 09:14:05.</summary>
    public static string ClockTime(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>e.g. 42 s, 3 min 05 s, 2 h 07 min.</summary>
    public static string Duration(TimeSpan? duration) => duration switch
    {
        null => None,
        { TotalMinutes: < 1 } d => string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.#} s"),
        { TotalHours: < 1 } d => string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalMinutes} min {d.Seconds:00} s"),
        var d => string.Create(CultureInfo.InvariantCulture, $"{(int)d.Value.TotalHours} h {d.Value.Minutes:00} min"),
    };

    public static string Loss(double? loss) => loss is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : None;

    /// <summary>Up to two decimals below 1000, whole numbers from there: 12.35, 1,534.</summary>
    public static string Perplexity(double? perplexity) => perplexity switch
    {
        null => None,
        >= 1000 => perplexity.Value.ToString("N0", CultureInfo.InvariantCulture),
        var v => v.Value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    public static string Accuracy(double? accuracy) => accuracy is { } v ? v.ToString("0%", CultureInfo.InvariantCulture) : None;

    public static string Count(double? count) => count is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : None;

    /// <summary>A value at a length, e.g. "75% @ 1024".</summary>
    public static string At(AtLength? value, Func<double?, string> format) =>
        value is { } v ? $"{format(v.Value)} @ {v.Length}" : None;
}
