using LongRecipe.Engine.Analysis;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// A run's training data: the corpus (the built-in synthetic long documents of about T tokens, or a
/// .jsonl/.txt file, or a token store folder) tokenized once into &lt;run&gt;/data, shortened by the spec's
/// sentence selection, and packed; the replay corpus for annealing likewise. The built-in corpus also holds
/// passkey and needle samples at each stage's sequence length (a quarter of its sequences, seeds apart from the
/// evaluation's), as the built-in model's pretraining did at its native window. Token stores are reused when
/// their source and tokenizer are unchanged (a resumed run tokenizes nothing again).
/// </summary>
internal sealed class RecipeData(RunSpec spec, Tokenizer tokenizer, string tokenizerPath, string folder, int native)
{
    // Replay documents per main document: short general text is a few hundred tokens.
    private const int ShortDocumentsPerLong = 4;
    // Documents scored to rank tokens by Δ(t) for impactful selection.
    private const int ImpactDocuments = 4;
    // Retrieval samples go before a corpus sequence with this probability: a quarter of the whole.
    private const double RetrievalRatio = 1.0 / 3;

    private readonly IReadOnlySet<int> sentenceEnds = SentenceEnds.Of(tokenizer);

    /// <summary>Context extension: the selected corpus packed to L, positions spread over T by the stage's transform.</summary>
    public IBatchSource Extension(ExtendStage stage, LlamaModel model, CancellationToken cancel)
    {
        using var store = Corpus(cancel);
        var documents = Selected(store, model, cancel);
        var sequences = WithRetrieval(Packed(documents, stage.SequenceLength, "corpus"), stage.SequenceLength);
        return new PackedBatchSource(sequences, spec.Seed, stage.Transform.Over(spec.TargetLength), sentenceEnds.Contains);
    }

    /// <summary>Annealing: the corpus at full positions (sequences of T) with replay sequences mixed in at the stage's ratio.</summary>
    public IBatchSource Annealing(AnnealStage stage, CancellationToken cancel)
    {
        IReadOnlyList<int[]> main, replay;
        using (var store = Corpus(cancel))
            main = WithRetrieval(Packed(store.Documents(), spec.TargetLength, "corpus"), spec.TargetLength);
        using (var store = Replay(cancel))
            replay = Packed(store.Documents(), spec.TargetLength, "replay corpus");
        return new PackedBatchSource(SequencePacking.MixReplay(main, replay, stage.ReplayRatio, spec.Seed).ToList(), spec.Seed);
    }

    private TokenStore Corpus(CancellationToken cancel) =>
        spec.Data.Corpus == DataSpec.Synthetic
            ? Synthetic("corpus", SyntheticCorpus.LongDocuments(Synthetic(spec.Data.Documents, 0), Count).Select(d => d.Text), cancel)
            : Imported(spec.Data.Corpus, "corpus", cancel);

    private TokenStore Replay(CancellationToken cancel) =>
        spec.Data.Replay is null or DataSpec.Synthetic
            ? Synthetic("replay", SyntheticCorpus.ShortDocuments(Synthetic(0, spec.Data.Documents * ShortDocumentsPerLong)).Select(d => d.Text), cancel)
            : Imported(spec.Data.Replay, "replay", cancel);

    /// <summary>Long documents a little over T tokens with facts referred back to across it; short ones for replay.</summary>
    private SyntheticCorpusSpec Synthetic(int longDocuments, int shortDocuments)
    {
        var length = spec.TargetLength + spec.TargetLength / 8;
        var facts = Math.Max(1, length / 256);
        return new SyntheticCorpusSpec(new LongDocumentSpec(length, facts, FactDistances.Between(native / 2, length * 3 / 4)), longDocuments,
            new ShortDocumentSpec(), shortDocuments, new InstructionPairSpec(), 0, spec.Seed).Validate();
    }

    private int Count(string text) => tokenizer.Encode(text, addSpecialTokens: false).Length;

    private TokenStore Synthetic(string name, IEnumerable<string> texts, CancellationToken cancel)
    {
        Directory.CreateDirectory(folder);
        var source = Path.Combine(folder, name + ".jsonl");
        if (!File.Exists(source)) SyntheticCorpus.WriteJsonLines(source, texts, cancel);
        return TokenStore.Build([source], tokenizerPath, Path.Combine(folder, name), cancel: cancel);
    }

    /// <summary>A token store folder as it is, or a .jsonl/.txt file tokenized into data/&lt;name&gt;.</summary>
    private TokenStore Imported(string path, string name, CancellationToken cancel) =>
        Directory.Exists(path) ? TokenStore.Open(path) : TokenStore.Build([path], tokenizerPath, Path.Combine(folder, name), cancel: cancel);

    /// <summary>
    /// The documents shortened by the spec's selection: none keeps them; digits keeps every sentence with a digit
    /// (the reference code's proxy); impactful keeps sentences holding one of the top 20% tokens by Δ(t), from the
    /// model with full versus native-window context on the first documents. Others go with probability select_ratio.
    /// </summary>
    private List<int[]> Selected(TokenStore store, LlamaModel model, CancellationToken cancel)
    {
        var documents = store.Documents().ToList();
        var selection = spec.Data.Selection;
        if (selection.Method == SelectionMethod.None) return documents;
        var settings = new SentenceSelectionSpec(selection.SelectRatio, spec.Seed);
        bool EndsSentence(long id) => sentenceEnds.Contains((int)id);
        string Decode(long[] ids) => tokenizer.Decode(ids.Select(id => (int)id).ToArray());
        IReadOnlySet<long>? impactful = null;
        if (selection.Method == SelectionMethod.Impactful)
        {
            var scored = documents.Take(ImpactDocuments).Select(d =>
            {
                cancel.ThrowIfCancellationRequested();
                return ImpactScoring.FullVersusTruncated(model, [.. d.Select(id => (long)id)], native);
            }).ToList();
            impactful = TokenImpact.Impactful(TokenImpact.Rank(scored));
        }
        return [.. documents.Select(d =>
        {
            long[] ids = [.. d.Select(id => (long)id)];
            var kept = impactful is null
                ? SentenceSelection.ByDigits(ids, EndsSentence, Decode, settings)
                : SentenceSelection.ByImpactfulTokens(ids, EndsSentence, impactful, settings);
            return kept.Select(id => (int)id).ToArray();
        })];
    }

    private IReadOnlyList<int[]> WithRetrieval(IReadOnlyList<int[]> sequences, int length) =>
        spec.Data.Corpus == DataSpec.Synthetic ? RetrievalSamples.Mix(sequences, tokenizer, length, RetrievalRatio, spec.Seed) : sequences;

    private List<int[]> Packed(IEnumerable<int[]> documents, int length, string what)
    {
        var sequences = SequencePacking.Pack(documents, length, tokenizer.EosId).ToList();
        return sequences.Count > 0 ? sequences
            : throw new ArgumentException($"data: the {what} holds fewer than {length} tokens, not one training sequence (give more documents)");
    }
}
