using System.Text;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// One BPE merge rule: the adjacent pair (<see cref="Left"/>, <see cref="Right"/>) becomes
/// <see cref="Merged"/>. Its position in the merge list is its rank; lower ranks merge first.
/// </summary>
internal readonly record struct BpeMerge(int Left, int Right, int Merged);

/// <summary>
/// The BPE model options that change results. <see cref="UnkId"/>: the id for characters neither in the
/// vocabulary nor byte-encodable (null: such characters are dropped). <see cref="FuseUnk"/>: consecutive
/// unknown characters give one unk. <see cref="ByteFallback"/>: an unknown character becomes the tokens
/// "&lt;0xNN&gt;" of its UTF-8 bytes. <see cref="IgnoreMerges"/>: a piece that is itself in the vocabulary
/// is emitted as that one token without merging (Llama-3).
/// </summary>
internal sealed record BpeOptions(int? UnkId, bool FuseUnk, bool ByteFallback, bool IgnoreMerges);

/// <summary>
/// Byte-pair encoding as HF's BPE model does it: a piece starts as one symbol per code point, then the
/// adjacent pair with the lowest merge rank is merged (the leftmost among equals) until no pair has a
/// rule. Results are cached per piece.
/// </summary>
internal sealed class Bpe
{
    private readonly Dictionary<string, int> vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabBySpan;
    private readonly string?[] tokens;
    private readonly Dictionary<long, (int Rank, int Merged)> merges;
    private readonly BpeOptions options;
    private readonly int[]? byteIds; // with byte fallback: the id of "<0xNN>" for each byte, -1 if absent
    private readonly BpeCache cache = new(capacity: 200_000);
    // Every pair of characters standing side by side in some token, as (left << 16) | right; built for the first long piece.
    private readonly Lazy<HashSet<int>> adjacent;

    public Bpe(Dictionary<string, int> vocab, IReadOnlyList<BpeMerge> merges, BpeOptions options)
    {
        this.vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        vocabBySpan = this.vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        tokens = new string?[vocab.Count == 0 ? 0 : vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab) tokens[id] = token;
        // A pair listed twice keeps its later rank, as HF's map does.
        this.merges = new Dictionary<long, (int, int)>(merges.Count, PairComparer.Instance);
        for (var rank = 0; rank < merges.Count; rank++)
            this.merges[Key(merges[rank].Left, merges[rank].Right)] = (rank, merges[rank].Merged);
        this.options = options;
        adjacent = new(() =>
        {
            var pairs = new HashSet<int>();
            foreach (var token in this.vocab.Keys)
                for (var i = 1; i < token.Length; i++)
                    pairs.Add((token[i - 1] << 16) | token[i]);
            return pairs;
        });
        if (options.ByteFallback)
            byteIds = Enumerable.Range(0, 256).Select(b => vocab.GetValueOrDefault($"<0x{b:X2}>", -1)).ToArray();
    }

    /// <summary>One past the largest id in the vocabulary.</summary>
    public int IdCount => tokens.Length;

    public int? TokenToId(string token) => vocab.TryGetValue(token, out var id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : null;

    /// <summary>
    /// Appends the ids of one pre-tokenized piece. A long one (a whole document, where no pre-tokenizer cuts it) is merged a
    /// stretch at a time (see <see cref="StretchEnd"/>), and <paramref name="merged"/> hears after each stretch how many of its
    /// characters are done.
    /// </summary>
    public void Encode(string piece, List<int> output, Action<int>? merged = null)
    {
        if (piece.Length == 0) return;
        if (options.IgnoreMerges && vocab.TryGetValue(piece, out var whole))
        {
            output.Add(whole);
            return;
        }
        if (piece.Length > LongPiece)
        {
            for (var start = 0; start < piece.Length;)
            {
                var end = StretchEnd(piece, start + LongPiece);
                output.AddRange(Merge(piece.AsSpan(start, end - start)));
                merged?.Invoke(end);
                start = end;
            }
            return;
        }
        if (!cache.TryGet(piece, out var ids))
        {
            ids = Merge(piece);
            cache.Add(piece, ids);
        }
        output.AddRange(ids);
    }

    // A piece longer than this is merged in stretches of at least this many characters (a stretch's merge holds ~60 bytes a character).
    private const int LongPiece = 1 << 13;

    /// <summary>
    /// Where the stretch that reaches at least to <paramref name="from"/> may end: the first place from there between two
    /// characters that are each a token of the vocabulary and that no token holds side by side (Llama-2: before the "▁" after
    /// a word), else the piece's end. A merged token's text is its two parts' texts joined, so no merge ever spans such a
    /// place, and each character there is its own first symbol: merging the stretches apart gives the ids merging the
    /// whole piece gives, as HF does it, in memory a stretch's size.
    /// </summary>
    private int StretchEnd(string piece, int from)
    {
        for (var i = from; i < piece.Length; i++)
        {
            var (left, right) = (piece[i - 1], piece[i]);
            if (!char.IsSurrogate(left) && !char.IsSurrogate(right) && !adjacent.Value.Contains((left << 16) | right)
                && vocabBySpan.ContainsKey(piece.AsSpan(i - 1, 1)) && vocabBySpan.ContainsKey(piece.AsSpan(i, 1)))
                return i;
        }
        return piece.Length;
    }

    private int[] Merge(ReadOnlySpan<char> piece)
    {
        var symbols = InitialSymbols(piece);
        var count = symbols.Count;
        if (count == 0) return []; // every character unknown, and no unk token to stand for them
        var ids = symbols.ToArray();
        var previous = new int[count];
        var next = new int[count];
        var alive = new bool[count];
        for (var i = 0; i < count; i++) (previous[i], next[i], alive[i]) = (i - 1, i + 1 < count ? i + 1 : -1, true);

        // Candidate merges ordered by (rank, position); entries go stale as symbols change and are
        // checked when they come out, as in HF's Word::merge_all.
        var queue = new PriorityQueue<(int Position, int Merged), long>();
        void Offer(int position)
        {
            if (merges.TryGetValue(Key(ids[position], ids[next[position]]), out var merge))
                queue.Enqueue((position, merge.Merged), ((long)merge.Rank << 32) | (uint)position);
        }
        for (var i = 0; i + 1 < count; i++) Offer(i);

        while (queue.TryDequeue(out var top, out _))
        {
            var at = top.Position;
            if (!alive[at] || next[at] < 0) continue;
            var right = next[at];
            // HF compares only the merged id: a different pair merging into the same token passes.
            if (!merges.TryGetValue(Key(ids[at], ids[right]), out var merge) || merge.Merged != top.Merged) continue;

            ids[at] = merge.Merged;
            alive[right] = false;
            next[at] = next[right];
            if (next[at] >= 0) previous[next[at]] = at;
            if (previous[at] >= 0) Offer(previous[at]);
            if (next[at] >= 0) Offer(at);
        }

        var result = new List<int>(count);
        for (var i = 0; i >= 0; i = next[i]) result.Add(ids[i]);
        return [.. result];
    }

    /// <summary>One symbol per code point: its token, else its byte tokens, else unk (see <see cref="BpeOptions"/>).</summary>
    private List<int> InitialSymbols(ReadOnlySpan<char> piece)
    {
        var symbols = new List<int>(piece.Length);
        int? pendingUnk = null;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < piece.Length;)
        {
            // A lone surrogate reads as U+FFFD, the character HF would have received.
            Rune.DecodeFromUtf16(piece[i..], out var rune, out var length);
            if (vocabBySpan.TryGetValue(piece.Slice(i, length), out var id))
            {
                if (pendingUnk is { } unk) symbols.Add(unk);
                pendingUnk = null;
                symbols.Add(id);
            }
            else if (!TryAddBytes(rune, utf8, symbols) && options.UnkId is { } unkId)
            {
                if (pendingUnk is { } unk && !options.FuseUnk) symbols.Add(unk);
                pendingUnk = unkId;
            }
            i += length;
        }
        if (pendingUnk is { } last) symbols.Add(last);
        return symbols;
    }

    // Byte tokens go straight in, ahead of a pending unk, as HF does.
    private bool TryAddBytes(Rune rune, Span<byte> utf8, List<int> symbols)
    {
        if (byteIds is null) return false;
        var length = rune.EncodeToUtf8(utf8);
        for (var b = 0; b < length; b++)
            if (byteIds[utf8[b]] < 0) return false;
        for (var b = 0; b < length; b++) symbols.Add(byteIds[utf8[b]]);
        return true;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    // long's own hash is high ^ low, i.e. left ^ right here, which piles the pairs of small (frequent)
    // ids into few buckets; a multiplicative mix spreads them.
    private sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key) => (int)((ulong)key * 0x9E3779B97F4A7C15UL >> 32);
    }
}
