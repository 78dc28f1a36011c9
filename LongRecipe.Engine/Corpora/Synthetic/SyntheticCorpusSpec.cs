using System.Text;
using System.Text.Json.Nodes;
using LongRecipe.Engine.IO;
namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// A whole synthetic corpus: long documents for context extension, short documents and instruction
/// pairs for replay. Each sample's seed is derived from <paramref name="Seed"/>, its kind and its
/// index, so sample i is the same however many are generated; the seeds inside the member specs are
/// ignored.
/// </summary>
public sealed record SyntheticCorpusSpec(
    LongDocumentSpec LongDocument, int LongDocuments,
    ShortDocumentSpec ShortDocument, int ShortDocuments,
    InstructionPairSpec InstructionPair, int InstructionPairs,
    ulong Seed = 0)
{
    /// <summary>64 long documents of ~8k words, 1000 short documents and 1000 instruction pairs.</summary>
    public static SyntheticCorpusSpec Default =>
        new(LongDocumentSpec.Default, 64, new ShortDocumentSpec(), 1000, new InstructionPairSpec(), 1000);

    /// <summary>A corpus small enough for tests and smoke runs: 4 × 1k-word documents, 16 short, 16 pairs.</summary>
    public static SyntheticCorpusSpec Tiny =>
        new(new LongDocumentSpec(1024, 4, FactDistances.Between(64, 512)), 4, new ShortDocumentSpec(), 16, new InstructionPairSpec(), 16);

    public SyntheticCorpusSpec Validate()
    {
        ArgumentNullException.ThrowIfNull(LongDocument);
        ArgumentNullException.ThrowIfNull(ShortDocument);
        ArgumentNullException.ThrowIfNull(InstructionPair);
        LongDocument.Validate();
        ShortDocument.Validate();
        InstructionPair.Validate();
        if (LongDocuments < 0) throw new ArgumentException($"count must not be negative, not {LongDocuments}", nameof(LongDocuments));
        if (ShortDocuments < 0) throw new ArgumentException($"count must not be negative, not {ShortDocuments}", nameof(ShortDocuments));
        if (InstructionPairs < 0) throw new ArgumentException($"count must not be negative, not {InstructionPairs}", nameof(InstructionPairs));
        return this;
    }
}

/// <summary>The samples of a <see cref="SyntheticCorpusSpec"/>, generated lazily one at a time.</summary>
public static class SyntheticCorpus
{
    public static IEnumerable<LongDocument> LongDocuments(SyntheticCorpusSpec spec, Func<string, int>? countTokens = null) =>
        Samples(spec, spec.LongDocuments, stream: 1, seed => LongDocument.Generate(spec.LongDocument with { Seed = seed }, countTokens));

    public static IEnumerable<ShortDocument> ShortDocuments(SyntheticCorpusSpec spec) =>
        Samples(spec, spec.ShortDocuments, stream: 2, seed => ShortDocument.Generate(spec.ShortDocument with { Seed = seed }));

    /// <summary>Writes <paramref name="texts"/> as a JSON Lines corpus ({"text": …} per line) that CorpusReader reads, atomically.</summary>
    public static void WriteJsonLines(string path, IEnumerable<string> texts, CancellationToken cancel = default) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            foreach (var text in texts)
            {
                cancel.ThrowIfCancellationRequested();
                writer.WriteLine(new JsonObject { ["text"] = text }.ToJsonString());
            }
        });

    public static IEnumerable<InstructionPair> InstructionPairs(SyntheticCorpusSpec spec) =>
        Samples(spec, spec.InstructionPairs, stream: 3, seed => InstructionPair.Generate(spec.InstructionPair with { Seed = seed }));

    private static IEnumerable<T> Samples<T>(SyntheticCorpusSpec spec, int count, ulong stream, Func<ulong, T> generate)
    {
        spec.Validate();
        var streamSeed = Draw.DeriveSeed(spec.Seed, stream);
        return Enumerable.Range(0, count).Select(i => generate(Draw.DeriveSeed(streamSeed, (ulong)i)));
    }
}
