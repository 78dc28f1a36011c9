using System.Collections.Concurrent;

namespace LongRecipe.Engine.Tokenization;

/// <summary>
/// Thread-safe piece → ids memo for <see cref="Bpe"/>. Bounded: when it reaches its capacity it is
/// emptied and refills with what the text in hand uses. Pieces of 256 characters or more are not kept
/// (HF's limit too).
/// </summary>
internal sealed class BpeCache(int capacity)
{
    private const int MaxPieceLength = 256;
    private readonly ConcurrentDictionary<string, int[]> entries = new(StringComparer.Ordinal);
    private int count;

    public bool TryGet(string piece, out int[] ids) => entries.TryGetValue(piece, out ids!);

    public void Add(string piece, int[] ids)
    {
        if (piece.Length >= MaxPieceLength || !entries.TryAdd(piece, ids)) return;
        if (Interlocked.Increment(ref count) <= capacity) return;
        entries.Clear();
        Interlocked.Exchange(ref count, 0);
    }
}
