using LongRecipe.Engine.Evaluation;
using LongRecipe.Engine.IO;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;
using static LongRecipe.Engine.Tests.Evaluation.EvaluationFixtures;

namespace LongRecipe.Engine.Tests.Evaluation;

/// <summary>The evaluation stream: order and completeness, determinism, perplexity invariants, validation.</summary>
public class EvaluatorTests
{
    private static readonly EvaluationSpec Small = new(Benchmarks.All, [128, 192], [0, 50, 100],
        NeedlesPerCell: 2, PasskeySamples: 2, PerplexityDocuments: 2, ShortDocuments: 3, ShortContextLength: 96, Seed: 42, BatchSize: 2);

    private static List<EvalEvent> Run(LlamaModel model, EvaluationSpec spec)
    {
        var events = new List<RunEvent>();
        Evaluator.Evaluate(model, Tokenizer, spec, events.Add, "eval", TestContext.Current.CancellationToken);
        return [.. events.Cast<EvalEvent>()];
    }

    [Fact]
    public void Cells_stream_in_order_and_the_grid_is_complete()
    {
        using var model = TinyModel();
        var events = Run(model, Small);

        var expected = new List<(string, int, double?, string, int)>();
        foreach (var length in (int[])[128, 192])
            foreach (var depth in (double[])[0, 50, 100])
            {
                expected.Add((Benchmarks.Niah, length, depth, "accuracy", 2));
                expected.Add((Benchmarks.Niah, length, depth, "needle_logprob", 2));
            }
        foreach (var length in (int[])[128, 192])
        {
            expected.Add((Benchmarks.Passkey, length, null, "accuracy", 2));
            expected.Add((Benchmarks.Passkey, length, null, "needle_logprob", 2));
        }
        foreach (var length in (int[])[128, 192])
        {
            expected.Add((Benchmarks.Perplexity, length, null, "perplexity", 2));
            expected.Add((Benchmarks.Perplexity, length, null, "bits_per_byte", 2));
        }
        expected.Add((Benchmarks.ShortPerplexity, 96, null, "perplexity", 3));

        Assert.Equal(expected, events.Select(e => (e.Benchmark, e.ContextLength, e.Depth, e.Metric, e.Samples)));
        Assert.Equal(Small.EventCount, events.Count);
        Assert.All(events, e => Assert.Equal("eval", e.Stage));
        Assert.All(events.Where(e => e.Metric == "accuracy"), e => Assert.InRange(e.Value, 0, 1));
        Assert.All(events.Where(e => e.Metric == "needle_logprob"), e => Assert.True(e.Value < 0));
        // A random model is near uniform: perplexity a little either side of the vocabulary size, never below 1.
        Assert.All(events.Where(e => e.Metric == "perplexity"), e => Assert.InRange(e.Value, 1, 2.0 * Tokenizer.VocabSize));
    }

    [Fact]
    public void The_same_spec_gives_the_same_values_and_another_seed_other_samples()
    {
        using var model = TinyModel();
        var spec = Small with { Suites = [Benchmarks.Niah, Benchmarks.Perplexity], ContextLengths = [128], DepthPercents = [50] };
        var first = (Run(model, spec)).Select(e => e.Value).ToList();
        var again = (Run(model, spec)).Select(e => e.Value).ToList();
        var other = (Run(model, spec with { Seed = 43 })).Select(e => e.Value).ToList();
        Assert.Equal(first, again);
        Assert.NotEqual(first[1], other[1]);
        Assert.NotEqual(first[2], other[2]);
    }

    [Fact]
    public void Uniform_logits_give_a_perplexity_of_exactly_the_vocabulary_size()
    {
        using var model = TinyModel();
        using (new NoGradScope()) model.Parameters["lm_head.weight"].Zero();
        var spec = Small with { Suites = [Benchmarks.Perplexity, Benchmarks.ShortPerplexity] };
        var events = Run(model, spec);
        var perplexities = events.Where(e => e.Metric == Metrics.Perplexity).ToList();
        Assert.Equal(3, perplexities.Count);
        foreach (var e in perplexities) Expect.Close(model.Config.VocabSize, e.Value, 1e-5, $"{e.Benchmark} at {e.ContextLength}");
    }

    [Fact]
    public void Batching_does_not_change_perplexity_and_rows_of_any_length_mix()
    {
        using var model = TinyModel(seed: 3);
        var rows = Perplexity.ShortDocuments(Tokenizer, 40, 5, seed: 1).Concat(Perplexity.LongDocuments(Tokenizer, 64, 2, seed: 2)).ToList();
        var cancel = TestContext.Current.CancellationToken;
        var one = Perplexity.Measure(model, rows, batchSize: 1, cancel);
        var three = Perplexity.Measure(model, rows, batchSize: 3, cancel);
        Assert.Equal(rows.Sum(r => r.Length - 1), one.Tokens);
        Assert.Equal(one.Tokens, three.Tokens);
        Expect.Close(one.Nll, three.Nll, 1e-5, "summed negative log-likelihood");
        var byHand = rows.Sum(r => -Scoring.LogProbs(model, r).Sum());
        Expect.Close(Math.Exp(byHand / one.Tokens), Perplexity.Of(model, rows, 2, cancel), 1e-5, "perplexity");
        Assert.All(Perplexity.LongDocuments(Tokenizer, 64, 2, seed: 2), d => Assert.Equal(64, d.Length));
    }

    [Fact]
    public void Bits_per_byte_divide_the_summed_nats_by_ln_2_and_the_bytes_the_predicted_tokens_spell()
    {
        // "hello wörld" and "ab": the predictions cover every token after BOS, so the bytes are those of the texts
        // (ö is two bytes): 12 + 2 = 14 bytes; 14 ln 2 nats over them is one bit per byte.
        long[][] rows = [.. new[] { "hello wörld", "ab" }.Select(t => Tokenizer.Encode(t, addSpecialTokens: true).Select(id => (long)id).ToArray())];
        Assert.Equal(Tokenizer.BosId, (int)rows[0][0]);
        Expect.Close(1.0, Perplexity.BitsPerByte(14 * Math.Log(2), Tokenizer, rows), 1e-12, "bits per byte");
        Expect.Close(0.5, Perplexity.BitsPerByte(7 * Math.Log(2), Tokenizer, rows), 1e-12, "half the nats");
    }

    [Fact]
    public void A_model_loaded_under_another_rope_scaling_is_evaluated_as_given()
    {
        using var folder = new TempFolder();
        using (var saved = TinyModel(seed: 4)) PretrainedModel.Save(saved, folder.Path);
        using var plain = PretrainedModel.Load(folder.Path);
        using var linear = PretrainedModel.Load(folder.Path, ropeScaling: """{"rope_type": "linear", "factor": 4}""");
        Assert.Equal(RopeType.Linear, linear.Config.RopeScaling.Type);
        Assert.Equal(4, linear.Config.RopeScaling.Factor);
        Assert.Equal(plain.Config.RopeScaling.Theta, linear.Config.RopeScaling.Theta);

        var spec = Small with { Suites = [Benchmarks.Perplexity], ContextLengths = [128] };
        Assert.NotEqual((Run(plain, spec))[0].Value, (Run(linear, spec))[0].Value);

        var bad = Assert.Throws<JsonFieldException>(() => PretrainedModel.Load(folder.Path, ropeScaling: """{"rope_type": "sideways"}"""));
        Assert.Contains("--rope-scaling", bad.Message);
        Assert.Contains("rope_type must be one of default, linear, dynamic, yarn, llama3, longrope, got \"sideways\"", bad.Message);
        Assert.Throws<JsonFieldException>(() => PretrainedModel.Load(folder.Path, ropeScaling: "[4]"));
    }

    [Fact]
    public void Cancelling_stops_the_evaluation()
    {
        using var model = TinyModel();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Evaluator.Evaluate(model, Tokenizer, Small, _ => { }, "eval", cancel.Token));
    }

    [Fact]
    public void A_tokenizer_larger_than_the_model_vocabulary_is_refused()
    {
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), 0);
        var error = Assert.Throws<ArgumentException>(() => Run(model, Small));
        Assert.Equal("tokenizer", error.ParamName);
    }

    public static TheoryData<EvaluationSpec, string> BadSpecs => new()
    {
        { Small with { Suites = [] }, "Suites" },
        { Small with { Suites = ["niah", "ruler"] }, "Suites" },
        { Small with { Suites = ["niah", "niah"] }, "Suites" },
        { Small with { ContextLengths = [] }, "ContextLengths" },
        { Small with { ContextLengths = [256, 128] }, "ContextLengths" },
        { Small with { ContextLengths = [16] }, "ContextLengths" },
        { Small with { DepthPercents = [-1] }, "DepthPercents" },
        { Small with { DepthPercents = [] }, "DepthPercents" },
        { Small with { DepthPercents = [50, 0, 50] }, "DepthPercents" },
        { Small with { NeedlesPerCell = 0 }, "NeedlesPerCell" },
        { Small with { PasskeySamples = 0 }, "PasskeySamples" },
        { Small with { PerplexityDocuments = 0 }, "PerplexityDocuments" },
        { Small with { ShortDocuments = 0 }, "ShortDocuments" },
        { Small with { ShortContextLength = 1 }, "ShortContextLength" },
        { Small with { BatchSize = 0 }, "BatchSize" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void Spec_validation_names_the_field(EvaluationSpec spec, string field) =>
        Assert.Equal(field, Assert.Throws<ArgumentException>(() => spec.Validate()).ParamName);

    [Fact]
    public void Short_perplexity_alone_needs_no_lengths()
    {
        var spec = new EvaluationSpec([Benchmarks.ShortPerplexity], [], []).Validate();
        Assert.Equal(1, spec.EventCount);
        Assert.Equal(2 * 3 * 5 + 2 * 3 + 2 * 3 + 1, EvaluationSpec.Default.Validate().EventCount);
    }
}
