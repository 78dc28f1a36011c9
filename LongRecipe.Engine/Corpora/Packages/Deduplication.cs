using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Corpora.Packages;

/// <summary>What deduplication took out: documents too short, exact and near-exact copies, boilerplate paragraphs.</summary>
public sealed record DeduplicationReport(int Short, int Exact, int Near, int BoilerplateParagraphs, int BoilerplateRemoved);

/// <summary>
/// Cleans the corpus in four passes, each keeping the first of what it compares (the corpus's order, so the result
/// is the same on every build):
/// <list type="number">
/// <item>boilerplate: a paragraph (text between blank lines) of at least <see cref="BoilerplateMinChars"/>
/// characters among the first or last <see cref="EdgeParagraphs"/> of a document that is, white space aside, among
/// them in <see cref="BoilerplateDocuments"/> or more documents (a licence line heading every page, an author
/// line, a sign-off) is removed from there. Section headings (a title over an underline) are structure, not
/// boilerplate, and repeated text inside a document's body ("On success 0 is returned.") is content: both stay;</item>
/// <item>short: documents of fewer than <see cref="MinWords"/> words (a table of contents, an index page) go;</item>
/// <item>exact: a document whose words equal an earlier one's (case, punctuation and white space aside) goes;</item>
/// <item>near-exact: a document whose word 5-shingles overlap an earlier one's with Jaccard similarity of at least
/// <see cref="NearThreshold"/> goes. The similarity is estimated by MinHash (<see cref="Hashes"/> hash functions,
/// standard error about 0.04 at 0.9), candidates found by banding the signatures (LSH, <see cref="Bands"/> bands),
/// so no pair of documents is compared unless they share a band.</item>
/// </list>
/// </summary>
public static partial class Deduplication
{
    public const int BoilerplateMinChars = 24;
    public const int BoilerplateDocuments = 5;
    public const int EdgeParagraphs = 3;
    public const int MinWords = 64;
    public const double NearThreshold = 0.9;
    public const int Hashes = 64;
    public const int Bands = 16;
    private const int ShingleWords = 5;

    [GeneratedRegex(@"\n[ \t\r]*\n")]
    private static partial Regex BlankLine();

    public static (List<RealDocument> Kept, DeduplicationReport Report) Apply(IReadOnlyList<RealDocument> documents, CancellationToken cancel = default)
    {
        var (cleaned, boilerplate, removed) = RemoveBoilerplate(documents, cancel);
        var kept = new List<RealDocument>();
        var (tooShort, exact, near) = (0, 0, 0);
        var texts = new HashSet<string>(StringComparer.Ordinal);
        var buckets = new Dictionary<(int Band, ulong Key), List<int>>();
        var signatures = new List<ulong[]>();
        foreach (var document in cleaned)
        {
            cancel.ThrowIfCancellationRequested();
            var words = Words(document.Text);
            if (words.Count < MinWords)
            {
                tooShort++;
                continue;
            }
            if (!texts.Add(Fingerprint(string.Join(' ', words))))
            {
                exact++;
                continue;
            }
            var signature = Signature(words);
            var bandKeys = Enumerable.Range(0, Bands).Select(b => (b, BandKey(signature, b))).ToList();
            var candidates = bandKeys.SelectMany(k => buckets.GetValueOrDefault(k) ?? []).Distinct();
            if (candidates.Any(c => Similarity(signatures[c], signature) >= NearThreshold))
            {
                near++;
                continue;
            }
            foreach (var key in bandKeys)
            {
                if (!buckets.TryGetValue(key, out var members)) buckets[key] = members = [];
                members.Add(signatures.Count);
            }
            signatures.Add(signature);
            kept.Add(document);
        }
        return (kept, new DeduplicationReport(tooShort, exact, near, boilerplate, removed));
    }

    /// <summary>The estimated Jaccard similarity of two MinHash signatures: the share of hash functions whose minima agree.</summary>
    public static double Similarity(ulong[] a, ulong[] b) => a.Zip(b).Count(p => p.First == p.Second) / (double)a.Length;

    /// <summary>
    /// The MinHash signature of a text's word 5-shingles: for each of the <see cref="Hashes"/> functions
    /// hᵢ(s) = Mix(h(s) ⊕ Mix(i + 1)) (h a 64-bit FNV-1a of the shingle, Mix SplitMix64's finalizer), its minimum.
    /// </summary>
    public static ulong[] Signature(IReadOnlyList<string> words)
    {
        var signature = new ulong[Hashes];
        Array.Fill(signature, ulong.MaxValue);
        for (var start = 0; start + ShingleWords <= Math.Max(words.Count, ShingleWords); start++)
        {
            var shingle = Shingle(words, start);
            for (var i = 0; i < Hashes; i++)
                signature[i] = Math.Min(signature[i], SplitMix64.Mix(shingle ^ SplitMix64.Mix((ulong)i + 1)));
        }
        return signature;
    }

    /// <summary>The lower-cased words of a text (runs of letters and digits).</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
                continue;
            }
            if (word.Length == 0) continue;
            words.Add(word.ToString());
            word.Clear();
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }

    private static (List<RealDocument> Documents, int Paragraphs, int Removed) RemoveBoilerplate(IReadOnlyList<RealDocument> documents, CancellationToken cancel)
    {
        var split = documents.Select(d => BlankLine().Split(d.Text)).ToList();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var paragraphs in split)
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var key in Edges(paragraphs).Where(i => Candidate(paragraphs[i])).Select(i => Normalized(paragraphs[i])).Distinct())
                counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var boilerplate = counts.Where(c => c.Value >= BoilerplateDocuments).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        var cleaned = new List<RealDocument>(documents.Count);
        for (var d = 0; d < documents.Count; d++)
        {
            var paragraphs = split[d];
            var dropped = Edges(paragraphs).Where(i => Candidate(paragraphs[i]) && boilerplate.Contains(Normalized(paragraphs[i]))).ToHashSet();
            removed += dropped.Count;
            // Untouched documents keep their text exactly as it was.
            cleaned.Add(dropped.Count == 0 ? documents[d]
                : documents[d] with { Text = string.Join("\n\n", paragraphs.Where((_, i) => !dropped.Contains(i))).Trim() });
        }
        return (cleaned, boilerplate.Count, removed);
    }

    /// <summary>The indices of the first and last <see cref="EdgeParagraphs"/> paragraphs.</summary>
    private static IEnumerable<int> Edges(string[] paragraphs) =>
        Enumerable.Range(0, paragraphs.Length).Where(i => i < EdgeParagraphs || i >= paragraphs.Length - EdgeParagraphs);

    /// <summary>Long enough to be boilerplate, and not a heading (whose last line is one punctuation character repeated).</summary>
    private static bool Candidate(string paragraph)
    {
        var heading = ReStructuredText.IsAdornment(paragraph.Trim().Split('\n')[^1]);
        return !heading && Normalized(paragraph).Length >= BoilerplateMinChars;
    }

    private static string Normalized(string paragraph) => string.Join(' ', paragraph.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string Fingerprint(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static ulong BandKey(ulong[] signature, int band)
    {
        var rows = Hashes / Bands;
        var key = 0UL;
        for (var r = 0; r < rows; r++) key = SplitMix64.Mix(key ^ signature[band * rows + r]);
        return key;
    }

    /// <summary>FNV-1a over the shingle's words (a space between them), from <paramref name="start"/> (fewer at the end of a short text).</summary>
    private static ulong Shingle(IReadOnlyList<string> words, int start)
    {
        var hash = 14695981039346656037UL;
        for (var w = start; w < Math.Min(words.Count, start + ShingleWords); w++)
        {
            foreach (var c in words[w])
                hash = (hash ^ c) * 1099511628211UL;
            hash = (hash ^ ' ') * 1099511628211UL;
        }
        return hash;
    }
}
