using LongRecipe.Engine.Model;
using LongRecipe.Engine.Tokenization;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Recipes;

// What a spec needs from this machine, checked before a run is queued (not in Problems(): a stored spec stays
// readable after its model is moved): the model directory and its tokenizer, the device, and memory for its sizes.
public sealed partial record RunSpec
{
    /// <summary>
    /// What this machine lacks for the spec, each at its field: the model directory (<paramref name="builtinModel"/>
    /// for "builtin") with config.json, weights that load with it (their headers: <see cref="PretrainedModel.WeightsProblem"/>)
    /// and a tokenizer.json that loads (<see cref="TokenizerCheck"/>) with no more ids than the config's vocab_size; the
    /// device; and, by the model's config, memory for every training stage's micro-batch, search stage's samples and
    /// evaluation length (<see cref="MemoryBounds"/>); and host memory for a synthetic corpus's token ids. A field <paramref name="alreadyWrong"/> says a problem is known at is not looked at (see <see cref="LaunchProblems"/>);
    /// nor are the sizes while the model's config or the device is not there to measure them by.
    /// </summary>
    public IReadOnlyList<SpecProblem> ResourceProblems(string builtinModel, Func<string, bool>? alreadyWrong = null)
    {
        alreadyWrong ??= _ => false;
        var problems = new List<SpecProblem>();
        void Check(string? problem, string path)
        {
            if (problem is not null && !alreadyWrong(path)) problems.Add(new SpecProblem(path, problem));
        }

        var config = alreadyWrong("model") ? null : ModelConfig(Model == BuiltinModel ? builtinModel : Model, Check);
        var deviceProblem = TorchRuntime.DeviceProblem(Device);
        Check(deviceProblem, "device");
        for (var i = 0; i < Stages.Count; i++)
            if (Stages[i] is TrainingStageSpec { CudaGraph: true } && !FusedAdamW.TakesLearningRateOnDevice)
                Check($"needs libtorch 2.3 or newer (this is {TorchRuntime.Version})", $"stages[{i}].cuda_graph");
        // A synthetic corpus is written whole and its token ids held in memory for the run: a count no machine holds is
        // refused here, not after hours of writing text.
        if (Data.Corpus == DataSpec.Synthetic)
        {
            var tokens = RecipeData.SyntheticDocumentTokens(TargetLength);
            Check(MemoryBounds.Problem((double)Data.Documents * tokens * sizeof(int),
                $"{Data.Documents} synthetic documents of about {tokens} tokens, as token ids,", Device.Cpu), "data.documents");
        }
        if (config is null || deviceProblem is not null || alreadyWrong("device")) return problems;

        var native = NativeLength ?? (int)config.MaxPositionEmbeddings;
        for (var i = 0; i < Stages.Count; i++)
        {
            switch (Stages[i])
            {
                case TrainingStageSpec training:
                    var length = training switch { ExtendStage e => e.SequenceLength, AnnealStage a => a.SequenceLength ?? TargetLength, _ => TargetLength };
                    Check(MemoryBounds.TrainingProblem(config, training.MicroBatchSize, length, training.ActivationCheckpointing, Device),
                        $"stages[{i}].micro_batch_size");
                    break;
                case SearchStage search:
                    var samples = (search.Factor ?? (double)TargetLength / native) * native;
                    Check(MemoryBounds.ForwardProblem(config, search.BatchSize, samples, Device), $"stages[{i}].factor");
                    break;
            }
        }
        foreach (var (lengths, path) in new[] { (Eval.Niah?.Lengths, "eval.niah.lengths"), (Eval.Passkey?.Lengths, "eval.passkey.lengths"),
                     (Eval.Perplexity?.Lengths, "eval.perplexity.lengths") })
            for (var i = 0; i < (lengths?.Count ?? 0); i++)
                Check(MemoryBounds.ForwardProblem(config, Eval.BatchSize, lengths![i], Device), $"{path}[{i}]");
        return problems;
    }

    /// <summary>
    /// The config of model directory <paramref name="directory"/>, each thing it lacks told to <paramref name="check"/> at
    /// "model": the directory, a tokenizer.json that loads, config.json, weights whose headers match it, a vocabulary the
    /// embeddings hold. Null where there is no config to measure sizes by.
    /// </summary>
    private static LlamaConfig? ModelConfig(string directory, Action<string?, string> check)
    {
        if (PretrainedModel.DirectoryProblem(directory) is { } notModel)
        {
            check(notModel, "model");
            return null;
        }
        var (vocabulary, tokenizerProblem) = File.Exists(Path.Combine(directory, "tokenizer.json"))
            ? TokenizerCheck.Of(directory)
            : (0, $"{directory} has no tokenizer.json, which a run tokenizes its text with");
        check(tokenizerProblem, "model");
        LlamaConfig config;
        try
        {
            config = LlamaConfig.Load(Path.Combine(directory, PretrainedModel.ConfigFile));
        }
        catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException or IO.JsonFieldException)
        {
            check(e.Message, "model");
            return null;
        }
        check(PretrainedModel.WeightsProblem(directory, config), "model");
        // An id past the embeddings would fail the first step that meets it, or the evaluation after all the training.
        if (vocabulary > config.VocabSize)
            check($"the tokenizer of {directory} has {vocabulary} ids, more than its config's vocab_size {config.VocabSize}", "model");
        return config;
    }
}
