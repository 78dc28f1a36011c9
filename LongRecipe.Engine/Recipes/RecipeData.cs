using LongRecipe.Engine.Analysis;
using LongRecipe.Engine.Corpora;
using LongRecipe.Engine.Corpora.Retrieval;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Corpora.Synthetic;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// A run's training data: the corpus (the built-in synthetic long documents of about T tokens, documents of a
/// real-text corpus's train split, a .jsonl/.txt file, or a token store folder) tokenized once (a real corpus once for
/// every run, into its own tokens/ folder; the others into &lt;run&gt;/data), shortened by the spec's sentence selection, and packed; the replay corpus for annealing likewise. Passkey and
/// needle samples at each stage's sequence length go in at the spec's retrieval ratio (by default a quarter of the
/// built-in corpus's sequences, seeds apart from the evaluation's), as the built-in model's pretraining did at its
/// native window. Token stores are reused when their source and tokenizer are unchanged (a resumed run tokenizes
/// nothing again). <paramref name="realCorpus"/> is the folder "real" names; <paramref name="warn"/> hears what reading
/// a corpus file noticed without stopping (replaced bytes, empty documents skipped).
/// </summary>
internal sealed class RecipeData(RunSpec spec, Tokenizer tokenizer, string tokenizerPath, string folder, int native, string? realCorpus,
    Action<string> warn)
{
    // Replay documents per main document: short general text is a few hundred tokens.
    private const int ShortDocumentsPerLong = 4;
    // Documents scored to rank tokens by Δ(t) for impactful selection.
    private const int ImpactDocuments = 4;
    private readonly IReadOnlySet<int> sentenceEnds = SentenceEnds.Of(tokenizer);

    /// <summary>Context extension: the selected corpus packed to L, positions spread over the stage's window by its transform.</summary>
    public IBatchSource Extension(ExtendStage stage, int window, LlamaModel model, CancellationToken cancel)
    {
        var documents = Selected(Corpus(cancel), model, cancel);
        var sequences = WithRetrieval(Packed(documents, stage.SequenceLength, "corpus"), stage.SequenceLength, cancel);
        return new PackedBatchSource(sequences, spec.Seed, stage.Transform.Over(window), sentenceEnds.Contains);
    }

    /// <summary>Annealing: the corpus at full positions (sequences of the stage's length, T by default) with replay sequences mixed in at the stage's ratio.</summary>
    public IBatchSource Annealing(AnnealStage stage, CancellationToken cancel)
    {
        var length = stage.SequenceLength ?? spec.TargetLength;
        var main = WithRetrieval(Packed(Corpus(cancel), length, "corpus"), length, cancel);
        var replay = Packed(Replay(cancel), length, "replay corpus");
        return new PackedBatchSource(SequencePacking.MixReplay(main, replay, stage.ReplayRatio, spec.Seed).ToList(), spec.Seed);
    }

    /// <summary>
    /// A search stage's fitness samples: the first <paramref name="count"/> corpus documents of at least
    /// <paramref name="length"/> tokens, cut to that length — whole documents, so that the fitness measures long
    /// context rather than short texts packed together.
    /// </summary>
    public long[][] SearchSamples(int count, int length, CancellationToken cancel)
    {
        var samples = Corpus(cancel).Where(d => d.Length >= length).Take(count).Select(d => d[..length].Select(id => (long)id).ToArray()).ToArray();
        return samples.Length == count ? samples
            : throw new ArgumentException(
                $"data: the search needs {count} corpus documents of at least {length} tokens; the corpus has {samples.Length} "
                + "(give longer documents or fewer samples)");
    }

    private List<int[]> Corpus(CancellationToken cancel) =>
        spec.Data.Corpus == DataSpec.Synthetic
            ? Written("corpus", SyntheticCorpus.LongDocuments(Synthetic(spec.Data.Documents, 0), Count).Select(d => d.Text), cancel)
            : Imported(spec.Data.Corpus, "corpus", skip: 0, cancel);

    // Replay from the real corpus trained on takes the train documents after those the corpus took.
    private List<int[]> Replay(CancellationToken cancel) =>
        spec.Data.Replay is null or DataSpec.Synthetic
            ? Written("replay", SyntheticCorpus.ShortDocuments(Synthetic(0, spec.Data.Documents * ShortDocumentsPerLong)).Select(d => d.Text), cancel)
            : Imported(spec.Data.Replay, "replay", skip: spec.Data.Replay == spec.Data.Corpus ? spec.Data.Documents : 0, cancel);

    /// <summary>The tokens of a synthetic long document for a run extending to <paramref name="targetLength"/>: a little over it.</summary>
    public static int SyntheticDocumentTokens(int targetLength) => targetLength + targetLength / 8;

    /// <summary>Long documents a little over T tokens with facts referred back to across it; short ones for replay.</summary>
    private SyntheticCorpusSpec Synthetic(int longDocuments, int shortDocuments)
    {
        var length = SyntheticDocumentTokens(spec.TargetLength);
        var facts = Math.Max(1, length / 256);
        return new SyntheticCorpusSpec(new LongDocumentSpec(length, facts, FactDistances.Between(native / 2, length * 3 / 4)), longDocuments,
            new ShortDocumentSpec(), shortDocuments, new InstructionPairSpec(), 0, spec.Seed).Validate();
    }

    private int Count(string text) => tokenizer.Encode(text, addSpecialTokens: false).Length;

    /// <summary>The texts written once into data/&lt;name&gt;.jsonl (read lazily, only when that file is not there yet), tokenized into data/&lt;name&gt;.</summary>
    private List<int[]> Written(string name, IEnumerable<string> texts, CancellationToken cancel)
    {
        Directory.CreateDirectory(folder);
        var source = Path.Combine(folder, name + ".jsonl");
        if (!File.Exists(source)) SyntheticCorpus.WriteJsonLines(source, texts, cancel);
        using var store = TokenStore.Build([source], tokenizerPath, Path.Combine(folder, name), cancel: cancel, warn: Warn);
        return [.. store.Documents()];
    }

    /// <summary>
    /// A real-text corpus's train documents (<see cref="DataSpec.Documents"/> of them, drawn by the run's seed after
    /// <paramref name="skip"/>, from the corpus's own token store, tokenized once for every run), a token store folder
    /// as it is, or a .jsonl/.txt file tokenized into data/&lt;name&gt;.
    /// </summary>
    private List<int[]> Imported(string corpus, string name, int skip, CancellationToken cancel)
    {
        var path = RunSpec.CorpusPath(corpus, realCorpus) ?? throw new ArgumentException($"data: \"{corpus}\" is not a corpus to import");
        if (RealCorpus.Exists(path))
        {
            var real = RealCorpus.Open(path);
            using var tokenized = real.Tokenized(tokenizerPath, cancel: cancel);
            return [.. real.SampleOrder(CorpusSplit.Train, spec.Seed).Skip(skip).Take(spec.Data.Documents).Select(i => tokenized.Document(i).ToArray())];
        }
        using var store = Directory.Exists(path) ? TokenStore.Open(path, tokenizerPath, tokenizer.VocabSize)
            : TokenStore.Build([path], tokenizerPath, Path.Combine(folder, name), cancel: cancel, warn: Warn);
        return [.. store.Documents()];
    }

    private void Warn(CorpusWarning warning) => warn(warning.ToString());

    /// <summary>
    /// The documents shortened by the spec's selection: none keeps them; digits keeps every sentence with a digit
    /// (the reference code's proxy); impactful keeps sentences holding one of the top 20% tokens by Δ(t), from the
    /// model with full versus native-window context on the first documents. Others go with probability select_ratio.
    /// </summary>
    private List<int[]> Selected(List<int[]> documents, LlamaModel model, CancellationToken cancel)
    {
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

    /// <summary>The sequences with retrieval samples at the spec's ratio; on a real corpus the needles hide in its train documents.</summary>
    private IReadOnlyList<int[]> WithRetrieval(IReadOnlyList<int[]> sequences, int length, CancellationToken cancel)
    {
        if (spec.Data.EffectiveRetrievalRatio <= 0) return sequences;
        var path = RunSpec.CorpusPath(spec.Data.Corpus, realCorpus);
        using var haystacks = path is not null && RealCorpus.Exists(path) ? TrainingHaystacks.Open(path, tokenizer, tokenizerPath, cancel) : null;
        return RetrievalSamples.Mix(sequences, tokenizer, length, spec.Data.EffectiveRetrievalRatio, spec.Seed, haystacks is null ? null : haystacks.Text);
    }

    private List<int[]> Packed(IEnumerable<int[]> documents, int length, string what)
    {
        var sequences = SequencePacking.Pack(documents, length, tokenizer.EosId).ToList();
        return sequences.Count > 0 ? sequences
            : throw new ArgumentException($"data: the {what} holds fewer than {length} tokens, not one training sequence (give more documents)");
    }
}
