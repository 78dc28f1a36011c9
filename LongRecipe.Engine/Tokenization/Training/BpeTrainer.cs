namespace LongRecipe.Engine.Tokenization.Training;

/// <summary>
/// What a byte-level BPE is trained to: <paramref name="VocabSize"/> ids in all (the 256 byte symbols,
/// the merged tokens and the three special tokens), pairs merged only while they occur at least
/// <paramref name="MinFrequency"/> times; <paramref name="ModelMaxLength"/> goes to tokenizer_config.json.
/// </summary>
public sealed record BpeTrainingSpec(
    int VocabSize = 4096,
    int MinFrequency = 2,
    string BosToken = "<|begin_of_text|>",
    string EosToken = "<|end_of_text|>",
    string PadToken = "<|pad|>",
    int ModelMaxLength = 131_072)
{
    /// <summary>The special tokens in id order (they take the last ids).</summary>
    public IReadOnlyList<string> SpecialTokens => [BosToken, EosToken, PadToken];

    public BpeTrainingSpec Validate()
    {
        var least = 256 + SpecialTokens.Count;
        if (VocabSize < least)
            throw new ArgumentException($"vocab size must be at least {least} (256 bytes and {SpecialTokens.Count} special tokens), not {VocabSize}", nameof(VocabSize));
        if (MinFrequency < 1) throw new ArgumentException($"min frequency must be at least 1, not {MinFrequency}", nameof(MinFrequency));
        if (ModelMaxLength < 1) throw new ArgumentException($"model max length must be positive, not {ModelMaxLength}", nameof(ModelMaxLength));
        foreach (var (token, name) in new[] { (BosToken, nameof(BosToken)), (EosToken, nameof(EosToken)), (PadToken, nameof(PadToken)) })
            if (string.IsNullOrEmpty(token)) throw new ArgumentException($"{name} must not be empty", name);
        if (SpecialTokens.Distinct(StringComparer.Ordinal).Count() != SpecialTokens.Count)
            throw new ArgumentException($"the special tokens must differ ({string.Join(", ", SpecialTokens)})", nameof(SpecialTokens));
        return this;
    }
}

/// <summary>Where training stands: texts read while counting words, then merges learned out of the merges wanted.</summary>
public readonly record struct BpeTrainingProgress(string Phase, long Done, long Total);

/// <summary>
/// Trains a byte-level BPE as GPT-2 and Llama-3 have: texts are cut with Llama-3's pre-tokenizer regex
/// and byte-mapped exactly as <see cref="Tokenizer"/> does it when encoding, the distinct pieces are
/// counted, and starting from the 256 byte symbols the most frequent adjacent pair (summed over piece
/// counts) is merged again and again until the vocabulary is full or no pair occurs
/// <see cref="BpeTrainingSpec.MinFrequency"/> times. Ties go to the pair whose left then right token is
/// ordinally smallest, so the result depends on the texts alone. Occurrences of a pair inside a piece are
/// merged left to right without overlap ("aaa" → "aa" "a"), which is what encoding with the learned merges
/// reproduces.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Llama-3's split pattern (the first step of its pre-tokenizer; ByteLevel without regex follows).</summary>
    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The pre-tokenizer the trained tokenizer.json names, as the reader builds it.</summary>
    internal static IPreTokenizer PreTokenizer { get; } = new SequencePreTokenizer(
    [
        new SplitPreTokenizer(TextPattern.Regex(Llama3Pattern), SplitBehavior.Isolated, Invert: false),
        new ByteLevelPreTokenizer(AddPrefixSpace: false, UseRegex: false),
    ]);

    public static TrainedBpe Train(
        IEnumerable<string> texts, BpeTrainingSpec spec,
        IProgress<BpeTrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        spec.Validate();
        var pieces = CountPieces(texts, spec, progress, cancel);

        // Ids 0–255 are the bytes, each as its ByteLevel character.
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevel.ByteToChar[b].ToString()).ToList();
        var ids = tokens.Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id, StringComparer.Ordinal);
        var words = pieces.Select(p => new Word(p.Key.Select(c => ids[c.ToString()]).ToList(), p.Value)).ToList();
        var pairs = new PairCounts(tokens);
        for (var w = 0; w < words.Count; w++) pairs.AddWord(words[w], w, +1);
        pairs.Flush();

        var wanted = spec.VocabSize - spec.SpecialTokens.Count;
        var merges = new List<(string Left, string Right)>();
        while (tokens.Count < wanted && pairs.Best(spec.MinFrequency) is { } best)
        {
            cancel.ThrowIfCancellationRequested();
            var (left, right) = (tokens[best.Left], tokens[best.Right]);
            var merged = left + right;
            if (!ids.TryGetValue(merged, out var mergedId))
            {
                mergedId = tokens.Count;
                tokens.Add(merged);
                ids[merged] = mergedId;
            }
            merges.Add((left, right));
            foreach (var w in pairs.WordsWith(best))
            {
                var word = words[w];
                if (!word.Contains(best.Left, best.Right)) continue;
                pairs.AddWord(word, w, -1);
                word.Merge(best.Left, best.Right, mergedId);
                pairs.AddWord(word, w, +1);
            }
            pairs.Flush();
            progress?.Report(new BpeTrainingProgress("merging", tokens.Count - 256, wanted - 256));
        }
        return new TrainedBpe(tokens, merges, spec);
    }

    // The distinct byte-level pieces of all texts and how often each occurs. Special tokens written in a
    // text are cut out first, as encoding does.
    private static Dictionary<string, long> CountPieces(
        IEnumerable<string> texts, BpeTrainingSpec spec, IProgress<BpeTrainingProgress>? progress, CancellationToken cancel)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var specials = spec.SpecialTokens.ToArray();
        var read = 0L;
        foreach (var text in texts)
        {
            cancel.ThrowIfCancellationRequested();
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            foreach (var part in text.Split(specials, StringSplitOptions.None))
                PreTokenizer.PreTokenize(new PreToken(part, AtInputStart: true), (piece, _) =>
                {
                    if (piece.Text.Length > 0) counts[piece.Text] = counts.GetValueOrDefault(piece.Text) + 1;
                });
            progress?.Report(new BpeTrainingProgress("counting", ++read, 0));
        }
        return counts;
    }

    /// <summary>A distinct piece as its current symbols, and how often it occurs.</summary>
    private sealed class Word(List<int> symbols, long count)
    {
        public List<int> Symbols { get; } = symbols;
        public long Count { get; } = count;

        public bool Contains(int left, int right)
        {
            for (var i = 0; i + 1 < Symbols.Count; i++)
                if (Symbols[i] == left && Symbols[i + 1] == right) return true;
            return false;
        }

        public void Merge(int left, int right, int merged)
        {
            var write = 0;
            for (var read = 0; read < Symbols.Count; read++, write++)
            {
                if (read + 1 < Symbols.Count && Symbols[read] == left && Symbols[read + 1] == right)
                {
                    Symbols[write] = merged;
                    read++;
                }
                else
                {
                    Symbols[write] = Symbols[read];
                }
            }
            Symbols.RemoveRange(write, Symbols.Count - write);
        }
    }

    private readonly record struct Pair(int Left, int Right);

    /// <summary>
    /// Pair frequencies summed over words, which words hold each pair, and a max-heap of (count, pair)
    /// entries. A count change pushes a fresh entry; entries whose count is stale are dropped when they
    /// surface, so the heap always yields the true best pair.
    /// </summary>
    private sealed class PairCounts(List<string> tokens)
    {
        private readonly Dictionary<Pair, long> counts = [];
        private readonly Dictionary<Pair, HashSet<int>> where = [];
        private readonly Dictionary<Pair, long> changed = [];
        private readonly PriorityQueue<Pair, (long Count, Pair Pair)> heap = new(Comparer<(long Count, Pair Pair)>.Create((a, b) => Order(tokens, a, b)));

        public void AddWord(Word word, int index, int sign)
        {
            for (var i = 0; i + 1 < word.Symbols.Count; i++)
            {
                var pair = new Pair(word.Symbols[i], word.Symbols[i + 1]);
                changed[pair] = changed.GetValueOrDefault(pair) + sign * word.Count;
                if (sign > 0)
                {
                    if (!where.TryGetValue(pair, out var set)) where[pair] = set = [];
                    set.Add(index);
                }
            }
        }

        /// <summary>Applies the changes gathered since the last flush and queues the pairs whose count moved.</summary>
        public void Flush()
        {
            foreach (var (pair, delta) in changed)
            {
                if (delta == 0) continue;
                var count = counts.GetValueOrDefault(pair) + delta;
                if (count == 0)
                {
                    counts.Remove(pair);
                    where.Remove(pair);
                    continue;
                }
                counts[pair] = count;
                heap.Enqueue(pair, (count, pair));
            }
            changed.Clear();
        }

        public Pair? Best(int minFrequency)
        {
            while (heap.TryPeek(out var pair, out var entry))
            {
                if (counts.GetValueOrDefault(pair) == entry.Count)
                    return entry.Count >= minFrequency ? pair : null;
                heap.Dequeue();
            }
            return null;
        }

        // A snapshot: merging the pair rewrites the sets as it goes.
        public int[] WordsWith(Pair pair) => where.TryGetValue(pair, out var set) ? [.. set.Order()] : [];

        // Higher counts first; among equal counts the ordinally smaller (left, right) tokens.
        private static int Order(List<string> tokens, (long Count, Pair Pair) a, (long Count, Pair Pair) b)
        {
            if (a.Count != b.Count) return b.Count.CompareTo(a.Count);
            var left = string.CompareOrdinal(tokens[a.Pair.Left], tokens[b.Pair.Left]);
            return left != 0 ? left : string.CompareOrdinal(tokens[a.Pair.Right], tokens[b.Pair.Right]);
        }
    }
}
