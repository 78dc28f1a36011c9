using LongRecipe.Engine.IO;
using LongRecipe.Engine.Tokenization;
using System.Text;
using System.Text.Json;
using LongRecipe.Engine.Analysis;

namespace LongRecipe.Lab.Components.Pages.TokenImpact;

/// <summary>The scored document shortened as LongRecipe shortens training data, and where it was saved.</summary>
public sealed record ShortenedDocument(string Text, int KeptTokens, int TotalTokens, string? SavedTo = null)
{
    public double KeptShare => TotalTokens == 0 ? 0 : (double)KeptTokens / TotalTokens;
}

/// <summary>
/// Builds a shortened training document from a scored one (<see cref="SentenceSelection.ByImpactfulTokens"/>:
/// sentences with an impactful token stay, others go with probability SelectRatio) and saves it as a
/// one-line JSONL corpus, {"text": …}, under the data directory's token-impact/ folder.
/// </summary>
public static class ShortenedSet
{
    public const string Folder = "token-impact";

    public static ShortenedDocument Build(long[] tokenIds, IReadOnlySet<long> impactful, SentenceSelectionSpec spec, Func<long[], string> decode)
    {
        var kept = SentenceSelection.ByImpactfulTokens(tokenIds, id => SentenceEnds.EndsSentence(decode([id])), impactful, spec);
        return new ShortenedDocument(decode(kept), kept.Length, tokenIds.Length);
    }

    /// <summary>Writes data/token-impact/NAME.jsonl atomically; NAME may hold letters, digits, '-', '_' and '.'.</summary>
    public static ShortenedDocument Save(ShortenedDocument document, string dataDirectory, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
            throw new ArgumentException($"File name '{name}' may hold only letters, digits, '-', '_' and '.', and must not start with '.'.", nameof(name));
        var folder = Path.Combine(dataDirectory, Folder);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".jsonl");
        var line = JsonSerializer.Serialize(new { text = document.Text }) + "\n";
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(line)));
        return document with { SavedTo = path };
    }
}
