using System.Text.Json;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Engine.Recipes;

// The rules a spec must meet before anything runs; every problem names its JSON path.
public sealed partial record RunSpec
{
    /// <summary>Throws a <see cref="RunSpecException"/> listing every problem; returns the spec when there is none.</summary>
    public RunSpec Validate() => Problems() is { Count: > 0 } problems ? throw new RunSpecException(null, problems) : this;

    /// <summary>Everything wrong with the spec, in field order; empty when it can run.</summary>
    public IReadOnlyList<SpecProblem> Problems() => Problems(new HashSet<string>());

    /// <summary>
    /// The rules' problems but those at a top-level field of <paramref name="illShaped"/>, which <see cref="Parse"/> found
    /// ill-shaped and left at its default or a placeholder, and those of rules reading one of them from elsewhere. The
    /// rules elsewhere take a default as valid (no stages, no native_length), except the native_length rule reading
    /// model, and the stages' rules reading target_length and device.
    /// </summary>
    private IReadOnlyList<SpecProblem> Problems(IReadOnlySet<string> illShaped)
    {
        var problems = new List<SpecProblem>();
        void Check(bool ok, string path, string message)
        {
            if (!ok && !illShaped.Contains(TopField(path)))
                problems.Add(new SpecProblem(path, message));
        }

        Check(!string.IsNullOrWhiteSpace(Name), "name", "must not be empty");
        // A name is shown in every list of runs and stored with each: a label, not a document.
        Check(Name.Length <= MaxNameLength, "name", $"must be at most {MaxNameLength} characters, got {Name.Length}");
        Check(!Name.Any(char.IsControl), "name", "must not hold control characters (a newline, a tab, NUL)");
        Check(!string.IsNullOrWhiteSpace(Model), "model", $"must be \"{BuiltinModel}\" or a model directory");
        if (!illShaped.Contains("model"))
        {
            if (Model == BuiltinModel)
                Check(NativeLength is > 0, "native_length", "the built-in model needs its pretraining window, a positive number of tokens");
            else
                Check(NativeLength is null, "native_length", "only for the built-in model (a model directory's config.json gives its window)");
        }
        Check(Device.Index >= 0, "device", $"must be cpu or cuda:N with N ≥ 0, got {Device}");
        Check(Dtypes.Contains(Dtype), "dtype", $"must be {string.Join(" or ", Dtypes.Select(d => d.ShortName()))}, got {Dtype.ShortName()}");
        Check(TargetLength > 0, "target_length", $"must be > 0, got {TargetLength}");
        Check(NativeLength is not { } native || TargetLength <= 0 || TargetLength > native, "target_length",
            $"must exceed native_length ({NativeLength}) to extend the context, got {TargetLength}");

        if (Experiment is { } experiment)
        {
            Check(!string.IsNullOrWhiteSpace(experiment.Name), "experiment.name", "must not be empty");
            Check(!string.IsNullOrWhiteSpace(experiment.Method), "experiment.method", "must not be empty");
        }
        if (RopeScaling is { } rope) RopeProblems(rope, Check);
        // .NET refuses a path holding a NUL with an exception, not an answer: the spec says so at the field instead.
        foreach (var (field, path) in new[] { ("model", Model), ("data.corpus", Data.Corpus), ("data.replay", Data.Replay), ("eval.corpus", Eval.Corpus) })
            Check(path?.Contains('\0') != true, field, "must not hold a NUL character (no path does)");
        DataProblems(Check);
        if (!illShaped.Overlaps(["target_length", "device"])) StageProblems(Check);
        EvalProblems(Check);
        return problems;
    }

    /// <summary>The model's own rules for RoPE settings (<see cref="RopeScaling.Problems"/>), and that a rescaling rescales.</summary>
    private static void RopeProblems(RopeScaling rope, Action<bool, string, string> check)
    {
        check(rope.Type != RopeType.Default, "rope_scaling.rope_type", "default rescales nothing; leave rope_scaling out instead");
        foreach (var problem in rope.Problems()) check(false, $"rope_scaling.{problem.Field}", problem.Message);
    }

    private void DataProblems(Action<bool, string, string> check)
    {
        check(!string.IsNullOrWhiteSpace(Data.Corpus), "data.corpus", $"must be \"{DataSpec.Synthetic}\", \"{DataSpec.Real}\" or a path");
        check(Data.Documents > 0, "data.documents", $"must be > 0, got {Data.Documents}");
        check(Data.Selection.SelectRatio is > 0 and <= 1, "data.selection.select_ratio", $"must be in (0, 1], got {Data.Selection.SelectRatio}");
        check(Data.Replay is not null || !Stages.OfType<AnnealStage>().Any(), "data.replay",
            "the anneal stage replays data: give \"synthetic\" or a path");
        check(Data.Replay is null || !string.IsNullOrWhiteSpace(Data.Replay), "data.replay", $"must be \"{DataSpec.Synthetic}\", \"{DataSpec.Real}\", a path or null");
        check(Data.RetrievalRatio is null or (>= 0 and <= 1), "data.retrieval_ratio", $"must be in [0, 1] (0 leaves retrieval samples out), got {Data.RetrievalRatio}");
    }

    private void StageProblems(Action<bool, string, string> check)
    {
        int Index(string kind) => Stages.Select((s, i) => s.Kind == kind ? i : -1).FirstOrDefault(i => i >= 0, -1);
        foreach (var kind in new[] { "extend", "anneal", "merge" })
        {
            var count = Stages.Count(s => s.Kind == kind);
            check(count <= 1, "stages", $"at most one {kind} stage, found {count}");
        }
        var extend = Index("extend");
        var anneal = Index("anneal");
        var merge = Index("merge");
        check(anneal < 0 || extend is >= 0 && extend < anneal, $"stages[{anneal}]", "anneal must come after an extend stage");
        check(merge < 0 || merge == Stages.Count - 1, $"stages[{merge}]", "merge must be the last stage");
        check(merge < 0 || extend >= 0, $"stages[{merge}]", "merge needs a trained model: add an extend stage before it");
        check(RopeScaling is null || !Stages.Any(s => s is SearchStage), "rope_scaling", "a search stage sets the RoPE: leave rope_scaling out");
        var searches = Stages.Select((s, i) => (Stage: s as SearchStage, Index: i)).Where(s => s.Stage is not null).ToList();

        for (var i = 0; i < Stages.Count; i++)
        {
            var path = $"stages[{i}]";
            switch (Stages[i])
            {
                case SearchStage search:
                    SearchProblems(search, i, searches.Where(s => s.Index < i).Select(s => s.Stage!).LastOrDefault(), i == searches[^1].Index, check);
                    break;
                case ExtendStage e:
                    TrainingProblems(e, path, check);
                    // The progressive route trains at an earlier search's window, which a later search extends to T.
                    var window = Window(i);
                    check(e.SequenceLength > 0 && e.SequenceLength <= TargetLength, $"{path}.sequence_length",
                        $"must be in [1, target_length = {TargetLength}], got {e.SequenceLength}");
                    if (e.SequenceLength > 0 && e.SequenceLength <= TargetLength)
                        check(TransformProblem(e.Transform.Over(window), e.SequenceLength) is null, $"{path}.transform",
                            TransformProblem(e.Transform.Over(window), e.SequenceLength) ?? "");
                    var scheme = JsonNamingPolicy.SnakeCaseLower.ConvertName(e.Transform.Scheme.ToString());
                    check(e.Transform.Scheme == PositionScheme.Pose || e.Transform.Chunks == TransformSpec.DefaultChunks, $"{path}.transform.chunks",
                        $"is read by pose only; {scheme} has no chunks, got {e.Transform.Chunks}");
                    check(e.Transform.Scheme == PositionScheme.LongRecipe || e.Transform.Rt1 is null, $"{path}.transform.rt1",
                        $"is read by long_recipe only; {scheme} has no rt1, got {e.Transform.Rt1}");
                    break;
                case AnnealStage a:
                    TrainingProblems(a, path, check);
                    check(a.ReplayRatio is > 0 and <= 1, $"{path}.replay_ratio", $"must be in (0, 1], got {a.ReplayRatio}");
                    check(a.SequenceLength is not { } annealLength || annealLength > 1 && annealLength <= TargetLength, $"{path}.sequence_length",
                        $"must be in [2, target_length = {TargetLength}], got {a.SequenceLength}");
                    check(a.MinLearningRate == 0, $"{path}.min_learning_rate", $"annealing decays the learning rate to zero: must be 0, got {a.MinLearningRate}");
                    check(a.Decay != LearningRateDecay.Constant, $"{path}.decay", "annealing decays the learning rate: cosine or linear, not constant");
                    break;
                case MergeStage m:
                    // The merge verb's rule: a value the method ignores would look used, so it is refused (not range-checked).
                    var merging = m.ToMergeSpec();
                    var method = JsonNamingPolicy.SnakeCaseLower.ConvertName(m.Method.ToString());
                    if (m.Alpha is { } alpha)
                        check(merging.ReadsAlpha && alpha is >= 0 and <= 1, $"{path}.alpha", merging.ReadsAlpha
                            ? $"must be in [0, 1], got {alpha}" : $"is not read by method {method}; {MergeSpec.AlphaReaders} read it, got {alpha}");
                    if (m.Density is { } density)
                        check(merging.ReadsDensity && density is > 0 and <= 1, $"{path}.density", merging.ReadsDensity
                            ? $"must be in (0, 1], got {density}" : $"is not read by method {method}; {MergeSpec.DensityReaders} reads it, got {density}");
                    break;
            }
        }
    }

    /// <summary>
    /// A search stage's settings, by the search's own rules named at their fields; its factor, when given, must grow
    /// past the search before it (<paramref name="previous"/>) and not reach past target_length. Only the last search
    /// may leave its factor to default, to target_length / the native window.
    /// </summary>
    private void SearchProblems(SearchStage search, int index, SearchStage? previous, bool last, Action<bool, string, string> check)
    {
        var path = $"stages[{index}]";
        check(search.Factor is null || search.Factor > 1 && double.IsFinite(search.Factor.Value), $"{path}.factor", $"must be above 1, got {search.Factor}");
        check(search.Factor is not null || last, $"{path}.factor",
            "only the last search stage may leave the factor out (it defaults to target_length / the native window)");
        check(previous?.Factor is not { } before || search.Factor is not { } factor || factor > before, $"{path}.factor",
            $"must exceed the earlier search's factor ({previous?.Factor}), got {search.Factor}");
        check(NativeLength is not { } native || search.Factor is not { } s || s * native <= TargetLength, $"{path}.factor",
            $"{search.Factor} × native_length ({NativeLength}) reaches past target_length ({TargetLength})");
        foreach (var (field, problem) in search.Search(search.Factor ?? 2, Seed).Problems().Where(p => p.Field != nameof(SearchStage.Factor)))
            check(false, $"{path}.{JsonNamingPolicy.SnakeCaseLower.ConvertName(field)}", problem);
    }

    /// <summary>The transform's own check, reworded to name the spec's fields.</summary>
    private static string? TransformProblem(PositionTransformSpec transform, int sequenceLength)
    {
        try
        {
            transform.Validate(sequenceLength);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message.Replace($" (Parameter '{e.ParamName}')", "");
        }
    }

    private void TrainingProblems(TrainingStageSpec stage, string path, Action<bool, string, string> check)
    {
        check(stage.Steps >= 1, $"{path}.steps", $"must be ≥ 1, got {stage.Steps}");
        check(stage.MicroBatchSize >= 1, $"{path}.micro_batch_size", $"must be ≥ 1, got {stage.MicroBatchSize}");
        check(stage.GradientAccumulation >= 1, $"{path}.gradient_accumulation", $"must be ≥ 1, got {stage.GradientAccumulation}");
        if (TrainerOptions.LearningRateProblem(stage.LearningRate) is { } learningRate) check(false, $"{path}.learning_rate", learningRate);
        check(stage.MinLearningRate >= 0 && (stage.LearningRate <= 0 || stage.MinLearningRate <= stage.LearningRate), $"{path}.min_learning_rate",
            $"must be in [0, learning_rate = {stage.LearningRate}], got {stage.MinLearningRate}");
        check(stage.WarmupSteps >= 0 && stage.WarmupSteps < stage.Steps, $"{path}.warmup_steps",
            $"must be in [0, steps = {stage.Steps}), got {stage.WarmupSteps}");
        check(stage.WeightDecay >= 0 && double.IsFinite(stage.WeightDecay), $"{path}.weight_decay", $"must be ≥ 0 and finite, got {stage.WeightDecay}");
        check(stage.ClipNorm >= 0 && double.IsFinite(stage.ClipNorm), $"{path}.clip_norm", $"must be ≥ 0 and finite (0 turns clipping off), got {stage.ClipNorm}");
        check(stage.CheckpointEvery >= 0, $"{path}.checkpoint_every", $"must be ≥ 0 (0: only the stage's end), got {stage.CheckpointEvery}");
        if (!stage.CudaGraph) return;
        check(Device.IsCuda, $"{path}.cuda_graph", $"records the step on a CUDA device; device is {Device}");
        check(stage.OptimizerState == OptimizerState.F32, $"{path}.cuda_graph", $"needs optimizer_state f32, not {stage.OptimizerState.Name()}");
        check(!stage.ActivationCheckpointing, $"{path}.cuda_graph", "does not record activation checkpointing: turn one of them off");
    }

    private void EvalProblems(Action<bool, string, string> check)
    {
        void Lengths(IReadOnlyList<int> lengths, string path)
        {
            check(lengths.Count > 0, path, "must list at least one length");
            for (var i = 0; i < lengths.Count; i++) check(lengths[i] > 0, $"{path}[{i}]", $"must be > 0, got {lengths[i]}");
        }
        check(Eval.BatchSize >= 1, "eval.batch_size", $"must be ≥ 1, got {Eval.BatchSize}");
        if (Eval.Niah is { } niah)
        {
            Lengths(niah.Lengths, "eval.niah.lengths");
            check(niah.Depths.Count > 0, "eval.niah.depths", "must list at least one depth");
            for (var i = 0; i < niah.Depths.Count; i++)
                check(niah.Depths[i] is >= 0 and <= 100, $"eval.niah.depths[{i}]", $"must be a percent in [0, 100], got {niah.Depths[i]}");
            check(niah.NeedlesPerCell >= 1, "eval.niah.needles_per_cell", $"must be ≥ 1, got {niah.NeedlesPerCell}");
        }
        if (Eval.Passkey is { } passkey)
        {
            Lengths(passkey.Lengths, "eval.passkey.lengths");
            check(passkey.Samples >= 1, "eval.passkey.samples", $"must be ≥ 1, got {passkey.Samples}");
        }
        if (Eval.Perplexity is { } perplexity)
        {
            Lengths(perplexity.Lengths, "eval.perplexity.lengths");
            check(perplexity.Samples >= 1, "eval.perplexity.samples", $"must be ≥ 1, got {perplexity.Samples}");
        }
        check(!string.IsNullOrWhiteSpace(Eval.Corpus), "eval.corpus", $"must be \"{DataSpec.Synthetic}\", \"{DataSpec.Real}\" or a real-corpus folder");
        check(Eval.Split != CorpusSplit.Train, "eval.split", "an evaluation holds its documents out: test or validation, not train");
    }
}
