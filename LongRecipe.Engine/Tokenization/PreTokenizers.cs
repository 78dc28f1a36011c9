namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// A piece of text on its way to the model, and whether it begins at the very start of the input
/// (Metaspace's "first" prepend scheme needs to know).
/// </summary>
internal readonly record struct PreToken(string Text, bool AtInputStart);

/// <summary>
/// Cuts normalized text into the pieces the model encodes one by one, possibly rewriting them, as HF's
/// pre-tokenizers do. Empty pieces are dropped.
/// </summary>
internal interface IPreTokenizer
{
    /// <summary>Appends the pieces that <paramref name="piece"/> becomes to <paramref name="output"/>.</summary>
    void PreTokenize(PreToken piece, List<PreToken> output);
}

/// <summary>Splits on a pattern's matches (e.g. Llama-3's regex with Isolated: every match and every gap is a piece).</summary>
internal sealed record SplitPreTokenizer(TextPattern Pattern, SplitBehavior Behavior, bool Invert) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        var matches = new List<(int Start, int Length)>();
        Pattern.Matches(piece.Text, matches);
        foreach (var (start, end) in SplitBehaviors.Apply(piece.Text.Length, matches, Behavior, Invert))
            output.Add(new PreToken(piece.Text[start..end], piece.AtInputStart && start == 0));
    }
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

    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        var text = AddPrefixSpace && !piece.Text.StartsWith(' ') ? " " + piece.Text : piece.Text;
        if (!UseRegex)
        {
            output.Add(piece with { Text = ByteLevel.Encode(text) });
            return;
        }
        var matches = new List<(int Start, int Length)>();
        Gpt2.Value.Matches(text, matches);
        foreach (var (start, end) in SplitBehaviors.Apply(text.Length, matches, SplitBehavior.Isolated, invert: false))
            output.Add(new PreToken(ByteLevel.Encode(text.AsSpan(start, end - start)), piece.AtInputStart && start == 0));
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
    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        var text = piece.Text.Replace(" ", Replacement, StringComparison.Ordinal);
        var prepend = Scheme == PrependScheme.Always || (Scheme == PrependScheme.First && piece.AtInputStart);
        if (prepend && !text.StartsWith(Replacement, StringComparison.Ordinal)) text = Replacement + text;
        if (!Split)
        {
            output.Add(piece with { Text = text });
            return;
        }
        var matches = new List<(int Start, int Length)>();
        TextPattern.Literal(Replacement).Matches(text, matches);
        foreach (var (start, end) in SplitBehaviors.Apply(text.Length, matches, SplitBehavior.MergedWithNext, invert: false))
            output.Add(new PreToken(text[start..end], piece.AtInputStart && start == 0));
    }
}

/// <summary>Applies each pre-tokenizer to every piece the previous one produced.</summary>
internal sealed record SequencePreTokenizer(IReadOnlyList<IPreTokenizer> PreTokenizers) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        List<PreToken> current = [piece], next = [];
        foreach (var preTokenizer in PreTokenizers)
        {
            next.Clear();
            foreach (var p in current) preTokenizer.PreTokenize(p, next);
            (current, next) = (next, current);
        }
        output.AddRange(current);
    }
}
