using System.Text.Json.Nodes;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Tests.Corpora.Packages;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.Recipes;

/// <summary>Runs on the real-text corpus: the spec's fields, the corpora checked on disk before a run, training on the train split.</summary>
public class RealCorpusRunTests
{
    private static readonly string Builtin = Repository.Path("models", "builtin");

    private static RunSpec OnCorpus(string corpus, string eval = DataSpec.Synthetic, int documents = 1) => RunPresets.Pose() with
    {
        Data = new DataSpec(Corpus: corpus, Documents: documents, Replay: corpus),
        Eval = new EvalSpec(Corpus: eval),
    };

    [Fact]
    public void The_real_corpus_the_retrieval_ratio_and_the_evaluation_text_round_trip_through_json()
    {
        var spec = RunPresets.LongRecipe() with
        {
            Data = new DataSpec(Corpus: DataSpec.Real, Documents: 8, Replay: DataSpec.Real, RetrievalRatio: 0.25),
            Eval = RunPresets.LongRecipe().Eval with { Corpus = DataSpec.Real, Split = CorpusSplit.Validation },
        };

        var json = JsonNode.Parse(spec.ToJson())!;

        Assert.Equal(("real", 0.25), (json["data"]!["corpus"]!.GetValue<string>(), json["data"]!["retrieval_ratio"]!.GetValue<double>()));
        Assert.Equal(("real", "validation"), (json["eval"]!["corpus"]!.GetValue<string>(), json["eval"]!["split"]!.GetValue<string>()));
        Assert.Null(json["data"]!["effective_retrieval_ratio"]);
        Assert.Equal(spec.ToJson(), RunSpec.Parse(spec.ToJson()).ToJson());
        // Left out, the retrieval ratio is a quarter of the synthetic corpus's sequences and none of another's.
        Assert.Equal((1.0 / 3, 0.0, 0.25), (new DataSpec().EffectiveRetrievalRatio, new DataSpec(DataSpec.Real).EffectiveRetrievalRatio, spec.Data.EffectiveRetrievalRatio));
    }

    [Fact]
    public void A_real_corpus_not_yet_fetched_is_named_at_its_field_with_how_to_fetch_it()
    {
        using var data = new TempFolder();
        var missing = Path.Combine(data.Path, "corpora", "real");

        var problems = OnCorpus(DataSpec.Real, eval: DataSpec.Real).CorpusProblems(missing);

        Assert.Equal(["data.corpus", "data.replay", "eval.corpus"], problems.Select(p => p.Path));
        Assert.All(problems, p => Assert.Equal($"the real-text corpus is not fetched yet (no manifest.json in {missing}); run ./longrecipe corpus-fetch", p.Message));
        Assert.Contains("has no data directory", Assert.Single(OnCorpus(DataSpec.Real).CorpusProblems(null), p => p.Path == "data.corpus").Message);
        // The synthetic corpus needs nothing on disk.
        Assert.Empty(RunPresets.LongRecipe().CorpusProblems(missing));
    }

    [Fact]
    public void Paths_must_exist_be_corpora_and_hold_the_documents_asked()
    {
        using var folder = new TempFolder();
        var corpus = RealCorpusFixture.Prose(Path.Combine(folder.Path, "corpus"), perSplit: 3, words: 80);
        File.WriteAllText(folder.File("notes.csv"), "a,b");
        Directory.CreateDirectory(folder.File("empty"));

        Assert.Empty(OnCorpus(corpus, eval: corpus).CorpusProblems(null));
        Assert.Equal($"{folder.File("gone.jsonl")}: no such file or folder", Assert.Single(OnCorpus(folder.File("gone.jsonl")).CorpusProblems(null), p => p.Path == "data.corpus").Message);
        Assert.Contains("unsupported corpus file type", Assert.Single(OnCorpus(folder.File("notes.csv")).CorpusProblems(null), p => p.Path == "data.corpus").Message);
        Assert.Contains("neither a real-text corpus", Assert.Single(OnCorpus(folder.File("empty")).CorpusProblems(null), p => p.Path == "data.corpus").Message);
        Assert.Contains("is not a real-text corpus", Assert.Single(OnCorpus(DataSpec.Synthetic, eval: folder.File("notes.csv")).CorpusProblems(null)).Message);
        // Three train documents: two for the corpus and two more for replay are too many.
        var tooMany = Assert.Single(OnCorpus(corpus, documents: 2).CorpusProblems(null));
        Assert.Equal(("data.documents", $"the corpus in {corpus} has 3 train documents; 4 asked of it"), (tooMany.Path, tooMany.Message));
    }

    [Fact]
    public void A_spec_whose_corpus_is_missing_is_refused_before_it_is_queued()
    {
        using var data = new TempFolder();
        using var store = RunStore.Open(data.File("runs.db"));
        var launcher = new RunLauncher(store, data.File("runs"), Builtin, Path.Combine(data.Path, "corpora", "real"));

        var e = Assert.Throws<RunSpecException>(() => launcher.Create(OnCorpus(DataSpec.Real)));

        Assert.Contains(e.Problems, p => p.Path == "data.corpus");
        Assert.Empty(store.ListRuns());
    }

    [Fact]
    public void A_run_trains_on_train_documents_only_and_evaluates_on_held_out_real_text()
    {
        using var folder = new TempFolder();
        // Sixteen test documents: the short-context perplexity takes that many.
        var corpus = RealCorpusFixture.Prose(Path.Combine(folder.Path, "corpus"), perSplit: 16, words: 400);
        var spec = RunPresets.LongRecipe() with
        {
            Name = "real",
            TargetLength = 512,
            Data = new DataSpec(Corpus: DataSpec.Real, Documents: 2, Replay: DataSpec.Real, RetrievalRatio: 0.5),
            Stages =
            [
                new ExtendStage(new TransformSpec(PositionScheme.Pose, 1), SequenceLength: 256, Steps: 2, MicroBatchSize: 1, LearningRate: 1e-4),
                new AnnealStage(ReplayRatio: 0.5, Steps: 1, MicroBatchSize: 1, LearningRate: 1e-5),
            ],
            Eval = new EvalSpec(Niah: new NeedleEvalSpec([256], [50], NeedlesPerCell: 1), Perplexity: new PerplexityEvalSpec([512], Samples: 1),
                ShortRetention: true, Corpus: DataSpec.Real),
        };
        var runFolder = Path.Combine(folder.Path, "run");
        var cancel = TestContext.Current.CancellationToken;
        var events = new List<RunEvent>();

        var status = new RecipeRunner(spec, runFolder, Builtin, realCorpus: corpus).Run(events.Add, cancel: cancel);

        Assert.True(status == RunStatus.Completed, events.OfType<StatusEvent>().Last().Error);
        // The corpus was tokenized once into its own store (shared by later runs), not copied into the run's folder;
        // that store holds each document as the tokenizer encodes its text, and the seed's draw is Sample's.
        Assert.False(File.Exists(Path.Combine(runFolder, "data", "corpus.jsonl")));
        var real = RealCorpus.Open(corpus);
        using (var store = real.Tokenized(Builtin, cancel: cancel))
        {
            Assert.Single(Directory.GetDirectories(Path.Combine(corpus, RealCorpus.TokensFolder)));
            var tokenizer = Engine.Tokenization.Tokenizer.Load(Builtin);
            var drawn = real.Sample(CorpusSplit.Train, 4, spec.Seed, cancel: cancel);
            Assert.Equal(drawn.Select(d => tokenizer.Encode(d.Text, addSpecialTokens: true)),
                real.SampleOrder(CorpusSplit.Train, spec.Seed).Take(4).Select(i => store.Document(i).ToArray()));
        }
        // Short perplexity before and after, the needle and perplexity cells: all measured on the test split's text.
        var cells = events.OfType<EvalEvent>().Select(e => (e.Stage, e.Benchmark, e.ContextLength)).ToList();
        Assert.Equal([("base", Benchmarks.ShortPerplexity, 256), ("eval", Benchmarks.Niah, 256), ("eval", Benchmarks.Niah, 256),
            ("eval", Benchmarks.Perplexity, 512), ("eval", Benchmarks.Perplexity, 512), ("eval", Benchmarks.ShortPerplexity, 256)], cells);
    }
}
