namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// A piece of text on its way to the model, and whether it begins at the very start of the input
/// (Metaspace's "first" prepend scheme needs to know).
/// </summary>
internal readonly record struct PreToken(string Text, bool AtInputStart);

/// <summary>
/// Cuts normalized text into the pieces the model encodes one by one, possibly rewriting them, as HF's
/// pre-tokenizers do. Empty pieces are dropped. Pieces are handed on as they are cut, so a long text's are never all
/// held, each with its reach: how far into the text it was cut from it ends (its end there, or the text's length for
/// a piece rewritten whole), which is what a long text's progress counts.
/// </summary>
internal interface IPreTokenizer
{
    /// <summary>Hands the pieces that <paramref name="piece"/> becomes to <paramref name="emit"/> in order, each with its reach in <paramref name="piece"/>.</summary>
    void PreTokenize(PreToken piece, Action<PreToken, int> emit);
}

/// <summary>Splits on a pattern's matches (e.g. Llama-3's regex with Isolated: every match and every gap is a piece).</summary>
internal sealed record SplitPreTokenizer(TextPattern Pattern, SplitBehavior Behavior, bool Invert) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, Action<PreToken, int> emit) =>
        SplitBehaviors.Apply(piece.Text.Length, match => Pattern.Matches(piece.Text, match), Behavior, Invert,
            (start, end) => emit(new PreToken(piece.Text[start..end], piece.AtInputStart && start == 0), end));
}

/// <summary>
/// GPT-2's byte-level step: optionally prepends a space when the piece does not start with one,
/// optionally splits with GPT-2's own regex, then maps every UTF-8 byte to its character
/// (<see cref="ByteLevel"/>). Llama-3 uses it without either option, after its own Split.
/// </summary>
internal sealed record ByteLevelPreTokenizer(bool AddPrefixSpace, bool UseRegex) : IPreTokenizer
{
    // GPT-2's pattern, fixed in HF's ByteLevel rather than read from the file; compiled on first use
    // (Llama-3 never uses it).
    private static readonly Lazy<CodePointRegex> Gpt2 =
        new(() => new CodePointRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"));

    public void PreTokenize(PreToken piece, Action<PreToken, int> emit)
    {
        var text = AddPrefixSpace && !piece.Text.StartsWith(' ') ? " " + piece.Text : piece.Text;
        if (!UseRegex)
        {
            emit(piece with { Text = ByteLevel.Encode(text) }, piece.Text.Length);
            return;
        }
        // A prefix space shifts the reach by one: clamped to the piece, it still ends at its length.
        SplitBehaviors.Apply(text.Length, match => Gpt2.Value.Matches(text, match), SplitBehavior.Isolated, invert: false,
            (start, end) => emit(new PreToken(ByteLevel.Encode(text.AsSpan(start, end - start)), piece.AtInputStart && start == 0),
                Math.Min(end, piece.Text.Length)));
    }
}

/// <summary>When <see cref="Metaspace"/> puts the replacement character in front of a piece.</summary>
internal enum PrependScheme { Always, First, Never }

/// <summary>
/// SentencePiece's view of spaces: replaces ' ' with <see cref="Replacement"/> (usually "▁"), prepends it
/// per <see cref="Scheme"/> (First: only to the piece at the start of the input) unless the piece already
/// starts with it, and with <see cref="Split"/> cuts before every replacement character.
/// </summary>
internal sealed record Metaspace(string Replacement, PrependScheme Scheme, bool Split) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, Action<PreToken, int> emit)
    {
        var text = piece.Text.Replace(" ", Replacement, StringComparison.Ordinal);
        var prepend = Scheme == PrependScheme.Always || (Scheme == PrependScheme.First && piece.AtInputStart);
        if (prepend && !text.StartsWith(Replacement, StringComparison.Ordinal)) text = Replacement + text;
        if (!Split)
        {
            emit(piece with { Text = text }, piece.Text.Length);
            return;
        }
        // The rewritten text is about as long as the piece: its ends, clamped to the piece, serve as reaches.
        SplitBehaviors.Apply(text.Length, match => TextPattern.Literal(Replacement).Matches(text, match), SplitBehavior.MergedWithNext, invert: false,
            (start, end) => emit(new PreToken(text[start..end], piece.AtInputStart && start == 0), Math.Min(end, piece.Text.Length)));
    }
}

/// <summary>Applies each pre-tokenizer to every piece the previous one produced, a piece at a time.</summary>
internal sealed record SequencePreTokenizer(IReadOnlyList<IPreTokenizer> PreTokenizers) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, Action<PreToken, int> emit) => Stage(0, piece, emit);

    // A later stage's reach within a piece maps back in proportion onto the stretch that piece covers, from the reach
    // of the piece before it to its own.
    private void Stage(int index, PreToken piece, Action<PreToken, int> emit)
    {
        if (index == PreTokenizers.Count)
        {
            emit(piece, piece.Text.Length);
            return;
        }
        var reached = 0;
        PreTokenizers[index].PreTokenize(piece, (part, reach) =>
        {
            var from = reached;
            Stage(index + 1, part, (inner, innerReach) => emit(inner, from + (int)((long)(reach - from) * innerReach / Math.Max(1, part.Text.Length))));
            reached = reach;
        });
    }
}
