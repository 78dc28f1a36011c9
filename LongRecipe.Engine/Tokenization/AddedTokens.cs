using System.Buffers;
using System.Globalization;
using System.Text;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// A token matched in the text before the model sees it (tokenizer.json's added_tokens), e.g. Llama-3's
/// "&lt;|begin_of_text|&gt;". <see cref="Special"/> ones are left out by Decode(skipSpecialTokens: true).
/// <see cref="LStrip"/>/<see cref="RStrip"/> swallow the whitespace before/after a match;
/// <see cref="SingleWord"/> matches only where no word character touches either end;
/// <see cref="Normalized"/> tokens are matched in the normalized text rather than the raw input.
/// </summary>
internal sealed record AddedToken(
    int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);

/// <summary>A stretch of text: either the occurrence of an added token (<see cref="TokenId"/> ≥ 0) or text between them.</summary>
internal readonly record struct Segment(string Text, int Start, int TokenId)
{
    public bool IsToken => TokenId >= 0;
}

/// <summary>
/// The added tokens and how HF finds them: first the raw input is split on the tokens with
/// normalized=false, then each stretch between them is normalized and split on the tokens with
/// normalized=true (matched in their normalized form). Matching is leftmost-longest and
/// non-overlapping, like HF's Aho–Corasick automaton; a match rejected by single_word is skipped,
/// not retried shorter.
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly Dictionary<int, AddedToken> byId = [];
    private readonly Dictionary<string, int> idByContent = new(StringComparer.Ordinal);
    private readonly HashSet<string> specialContents = new(StringComparer.Ordinal);
    // What Decode sees for a normalized token: its normalized form, which the decoder can invert.
    private readonly Dictionary<int, string> decodeForm = [];
    private readonly TokenMatcher raw, normalized;

    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, INormalizer? normalizer)
    {
        var rawPatterns = new List<(string Pattern, AddedToken Token)>();
        var normalizedPatterns = new List<(string Pattern, AddedToken Token)>();
        foreach (var token in tokens)
        {
            byId[token.Id] = token;
            idByContent[token.Content] = token.Id;
            if (token.Special) specialContents.Add(token.Content);
            if (!token.Normalized)
            {
                rawPatterns.Add((token.Content, token));
                continue;
            }
            var form = normalizer?.Normalize(token.Content) ?? token.Content;
            if (form != token.Content) decodeForm[token.Id] = form;
            normalizedPatterns.Add((form, token));
        }
        raw = new TokenMatcher(rawPatterns);
        normalized = new TokenMatcher(normalizedPatterns);
    }

    public IReadOnlyCollection<AddedToken> Tokens => byId.Values;

    public int? TokenToId(string content) => idByContent.TryGetValue(content, out var id) ? id : null;

    public string? Content(int id) => byId.TryGetValue(id, out var token) ? token.Content : null;

    /// <summary>The string Decode hands to the decoder for this id, or null when it is not an added token.</summary>
    public string? DecodeForm(int id) =>
        decodeForm.TryGetValue(id, out var form) ? form : byId.TryGetValue(id, out var token) ? token.Content : null;

    /// <summary>Whether <paramref name="token"/> is the content of a special token (HF compares strings, not ids).</summary>
    public bool IsSpecial(string token) => specialContents.Contains(token);

    /// <summary>Splits raw input on the tokens with normalized=false.</summary>
    public void SplitRaw(string text, List<Segment> output) => raw.Split(text, output);

    /// <summary>Splits normalized text on the tokens with normalized=true.</summary>
    public void SplitNormalized(string text, List<Segment> output) => normalized.Split(text, output);

    /// <summary>Leftmost-longest matching of a set of patterns over a character trie.</summary>
    private sealed class TokenMatcher
    {
        private sealed class Node
        {
            public readonly Dictionary<char, Node> Next = [];
            public AddedToken? Token;
        }

        private readonly Node root = new();
        private readonly SearchValues<char> firstChars;

        public TokenMatcher(List<(string Pattern, AddedToken Token)> patterns)
        {
            foreach (var (pattern, token) in patterns)
            {
                if (pattern.Length == 0) continue; // HF ignores empty tokens
                var node = root;
                foreach (var c in pattern)
                {
                    if (!node.Next.TryGetValue(c, out var child)) node.Next[c] = child = new Node();
                    node = child;
                }
                node.Token ??= token; // a duplicate pattern keeps the first token
            }
            firstChars = SearchValues.Create([.. root.Next.Keys]);
        }

        /// <summary>
        /// Appends the segments covering <paramref name="text"/>: matched tokens (widened by lstrip/rstrip)
        /// and the text between them. An empty text gives no segments.
        /// </summary>
        public void Split(string text, List<Segment> output)
        {
            var taken = 0; // end of the last segment emitted
            var searchFrom = 0; // the automaton resumes after the raw match, even when rstrip went further
            while (FindLeftmostLongest(text, searchFrom, out var start, out var stop, out var token))
            {
                searchFrom = stop;
                if (token.SingleWord && !IsSingleWord(text, start, stop)) continue;
                if (token.LStrip) start = Math.Max(StartOfTrailingSpace(text, start), taken);
                if (token.RStrip) stop = EndOfLeadingSpace(text, stop);
                if (taken < start) output.Add(new Segment(text[taken..start], taken, -1));
                output.Add(new Segment(text[start..stop], start, token.Id));
                taken = stop;
            }
            if (taken < text.Length) output.Add(new Segment(text[taken..], taken, -1));
        }

        private bool FindLeftmostLongest(string text, int from, out int start, out int stop, out AddedToken token)
        {
            for (var at = from; at < text.Length; at++)
            {
                var skip = text.AsSpan(at).IndexOfAny(firstChars);
                if (skip < 0) break;
                at += skip;
                AddedToken? longest = null;
                var end = at;
                var node = root;
                for (var i = at; i < text.Length && node.Next.TryGetValue(text[i], out node); i++)
                {
                    if (node.Token is not null) (longest, end) = (node.Token, i + 1);
                }
                if (longest is not null)
                {
                    (start, stop, token) = (at, end, longest);
                    return true;
                }
            }
            (start, stop, token) = (0, 0, null!);
            return false;
        }

        // HF: the match counts only if the text before it does not end with \w and the text after it
        // does not start with \w.
        private static bool IsSingleWord(string text, int start, int stop)
        {
            Rune.DecodeLastFromUtf16(text.AsSpan(0, start), out var before, out _);
            Rune.DecodeFromUtf16(text.AsSpan(stop), out var after, out _);
            return (start == 0 || !IsWordChar(before)) && (stop == text.Length || !IsWordChar(after));
        }

        // Rust's Unicode \w: letters, marks, decimal digits, letter numbers, connector punctuation and the
        // two joiners (it also counts the few symbols that are Alphabetic, such as circled letters; these
        // are not word characters here).
        private static bool IsWordChar(Rune rune) =>
            Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
                or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
                or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber
                or UnicodeCategory.LetterNumber or UnicodeCategory.ConnectorPunctuation
            || rune.Value is 0x200C or 0x200D;

        private static int StartOfTrailingSpace(string text, int end)
        {
            while (end > 0 && char.IsWhiteSpace(text[end - 1])) end--;
            return end;
        }

        private static int EndOfLeadingSpace(string text, int start)
        {
            while (start < text.Length && char.IsWhiteSpace(text[start])) start++;
            return start;
        }
    }
}
