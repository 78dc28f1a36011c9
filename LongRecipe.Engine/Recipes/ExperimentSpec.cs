using LongRecipe.Engine.Events;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// An experiment: methods × seeds, every method on the same base model, data and evaluation, each trained
/// method's learning rate picked from one shared grid on validation data before its final runs. Runs land in
/// the run store tagged with the experiment (<see cref="ExperimentTag"/>); <see cref="ExperimentPlan"/> turns
/// this into their specs and <see cref="ExperimentRunner"/> runs them.
/// </summary>
/// <param name="Name">Names the experiment in the store; runs are resumed and reused by it.</param>
/// <param name="Methods">One run spec per method, its name the method's (e.g. a preset's <c>--print</c>). Their
/// evaluation is replaced by <paramref name="Eval"/> and their seed by each of <paramref name="Seeds"/>.</param>
/// <param name="Seeds">Seeds of the final runs. A method without stages (a pure RoPE rescaling) depends on no
/// seed and runs once, with the first.</param>
/// <param name="Eval">The final evaluation, on held-out test data, the same for every method.</param>
/// <param name="LearningRates">The shared grid: each trained method runs once per value (seed: the first),
/// its first training stage at that peak learning rate and the others scaled alike. Empty or null keeps each
/// method's own learning rate and skips the selection.</param>
/// <param name="SelectionEval">The evaluation of the grid's runs, on validation data only.</param>
/// <param name="Criterion">Which cell of <paramref name="SelectionEval"/> picks the learning rate.</param>
/// <param name="Parallel">Selection runs at a time (small models leave a GPU mostly idle, so several share it); final
/// runs go one at a time, so that their seconds compare.</param>
public sealed partial record ExperimentSpec(
    string Name,
    IReadOnlyList<RunSpec> Methods,
    IReadOnlyList<ulong> Seeds,
    EvalSpec Eval,
    IReadOnlyList<double>? LearningRates = null,
    EvalSpec? SelectionEval = null,
    SelectionCriterion? Criterion = null,
    int Parallel = 1)
{
    public IReadOnlyList<double> LearningRates { get; init; } = LearningRates ?? [];

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, RunSpecJsonContext.Default.ExperimentSpec);

    /// <summary>Reads and validates an experiment file; every problem names the file and its JSON path.</summary>
    public static ExperimentSpec Load(string path) => Parse(RunSpec.ReadSpecText(path), path);

    /// <summary>
    /// Reads and validates an experiment from JSON text, every problem at once as <see cref="RunSpec.Parse"/> reports a run
    /// spec's: those of shape, and the rules' problems of the top-level fields whose shape is right.
    /// </summary>
    public static ExperimentSpec Parse(string json, string? source = null)
    {
        var (spec, problems) = ParseWithProblems(json, source);
        return problems.Count == 0 ? spec : throw new RunSpecException(source, problems);
    }

    /// <summary>
    /// The experiment <see cref="Parse"/> reads, with the problems it would throw for instead of throwing, so that a launch
    /// names them in one answer with what the machine lacks (<see cref="LaunchProblems"/>), as
    /// <see cref="RunSpec.ParseWithProblems"/> does for a run. Text that reads as no experiment at all still throws.
    /// </summary>
    public static (ExperimentSpec Spec, IReadOnlyList<SpecProblem> Problems) ParseWithProblems(string json, string? source = null)
    {
        var (spec, shape, illShaped) = RunSpec.ParseShaped(json, RunSpecJsonContext.Default.ExperimentSpec, source, RunSpec.UpgradedMethods);
        return (spec, [.. shape, .. spec.Problems(illShaped)]);
    }

    /// <summary><see cref="ParseWithProblems"/> for an experiment file; one that cannot be read, or is no experiment, throws naming it.</summary>
    public static (ExperimentSpec Spec, IReadOnlyList<SpecProblem> Problems) LoadWithProblems(string path) =>
        ParseWithProblems(RunSpec.ReadSpecText(path), path);

    /// <summary>
    /// Everything wrong, each at its JSON path: the methods' own rules (as the runs will be made: the final runs, and the
    /// grid's with the selection evaluation), distinct names and seeds, one base model, window, device and corpus for all,
    /// and equal training budgets (the same optimizer steps and sequences per step for every trained method).
    /// </summary>
    public IReadOnlyList<SpecProblem> Problems() => Problems(new HashSet<string>());

    /// <summary>
    /// The rules' problems but those at a top-level field of <paramref name="illShaped"/>, which <see cref="Parse"/> found
    /// ill-shaped and left at its default or a placeholder. The rules reading one from elsewhere take a default as valid
    /// (no selection evaluation, no learning rates), and a method's rules read no seed (without seeds they are checked at 0).
    /// </summary>
    private IReadOnlyList<SpecProblem> Problems(IReadOnlySet<string> illShaped)
    {
        var problems = new List<SpecProblem>();
        void Check(bool ok, string path, string message)
        {
            if (!ok && !illShaped.Contains(RunSpec.TopField(path))) problems.Add(new SpecProblem(path, message));
        }

        Check(!string.IsNullOrWhiteSpace(Name), "name", "must not be empty");
        Check(Methods.Count > 0, "methods", "must list at least one method");
        Check(Seeds.Count > 0, "seeds", "must list at least one seed");
        Check(Seeds.Distinct().Count() == Seeds.Count, "seeds", $"must be distinct, got {string.Join(", ", Seeds)}");
        Check(Parallel >= 1, "parallel", $"must be ≥ 1, got {Parallel}");
        for (var i = 0; i < LearningRates.Count; i++)
            if (Training.TrainerOptions.LearningRateProblem(LearningRates[i]) is { } learningRate) Check(false, $"learning_rates[{i}]", learningRate);
        if (LearningRates.Count > 0)
        {
            Check(SelectionEval is not null, "selection_eval", "a learning-rate grid needs a selection evaluation (on validation data)");
            Check(Criterion is not null, "criterion", "a learning-rate grid needs a criterion (which selection cell decides)");
        }
        if (Criterion is { } criterion)
        {
            Check(!string.IsNullOrWhiteSpace(criterion.Benchmark), "criterion.benchmark", "must not be empty");
            Check(!string.IsNullOrWhiteSpace(criterion.Metric), "criterion.metric", "must not be empty");
            Check(criterion.ContextLength > 0, "criterion.context_length", $"must be > 0, got {criterion.ContextLength}");
            // The criterion must name a cell the selection evaluation writes, or no learning rate could ever be picked.
            var metrics = criterion.Benchmark switch
            {
                Benchmarks.Niah or Benchmarks.Passkey => [Metrics.Accuracy, Metrics.NeedleLogProb],
                Benchmarks.Perplexity => [Metrics.Perplexity, Metrics.BitsPerByte],
                Benchmarks.ShortPerplexity => [Metrics.Perplexity],
                _ => (string[]?)null,
            };
            Check(metrics is not null, "criterion.benchmark", $"must be one of {string.Join(", ", Benchmarks.All)}, got '{criterion.Benchmark}'");
            if (metrics is not null)
                Check(metrics.Contains(criterion.Metric), "criterion.metric", $"{criterion.Benchmark} measures {string.Join(" and ", metrics)}, not '{criterion.Metric}'");
            var lengths = criterion.Benchmark switch
            {
                Benchmarks.Niah => SelectionEval?.Niah?.Lengths,
                Benchmarks.Passkey => SelectionEval?.Passkey?.Lengths,
                Benchmarks.Perplexity => SelectionEval?.Perplexity?.Lengths,
                _ => null,
            };
            if (SelectionEval is not null && metrics is not null && criterion.Benchmark != Benchmarks.ShortPerplexity)
                Check(lengths?.Contains(criterion.ContextLength) == true, "criterion.context_length", lengths is null
                    ? $"selection_eval has no {criterion.Benchmark} to pick by"
                    : $"selection_eval measures {criterion.Benchmark} at {string.Join(", ", lengths)}, not {criterion.ContextLength}");
        }
        if (Methods.Count == 0) return problems;

        var names = Methods.Select(m => m.Name).ToList();
        // The grid's runs are the methods at its rates, judged with the selection evaluation; a run at a rate learning_rates
        // refuses, or scaled from a method's own rate that is wrong, would only restate that problem.
        var grid = this with { LearningRates = [.. LearningRates.Where(lr => Training.TrainerOptions.LearningRateProblem(lr) is null)] };
        for (var i = 0; i < Methods.Count; i++)
        {
            var path = $"methods[{i}]";
            Check(names.IndexOf(Methods[i].Name) == i, $"{path}.name", $"'{Methods[i].Name}' names two methods");
            var own = RulesOf(ExperimentPlan.Final(this, Methods[i], Seeds.FirstOrDefault(), lr: null));
            IEnumerable<(RunSpec Run, SpecProblem Problem)> gridRuns = own.Count > 0 ? [] : ExperimentPlan.Selection(grid, Methods[i]).SelectMany(RulesOf);
            foreach (var (run, problem) in own.Concat(gridRuns))
                Check(false, At(i, run, problem.Path), problem.Message);
            Check(Methods[i].Experiment is null, $"{path}.experiment", "is set by the experiment; leave it out");
        }
        // Every method (and every rate of the grid) shares the evaluation: report its problems once.
        problems = [.. problems.Distinct()];

        var first = Methods[0];
        foreach (var (method, i) in Methods.Select((m, i) => (m, i)).Skip(1))
        {
            Check(method.Model == first.Model && method.NativeLength == first.NativeLength, $"methods[{i}].model",
                $"every method starts from the same model ({first.Model}), got {method.Model}");
            Check(method.TargetLength == first.TargetLength, $"methods[{i}].target_length",
                $"every method extends to the same window ({first.TargetLength}), got {method.TargetLength}");
            Check(method.Device == first.Device && method.Dtype == first.Dtype, $"methods[{i}].device",
                $"every method runs on the same device and dtype ({first.Device} {first.Dtype}), got {method.Device} {method.Dtype}");
            Check(method.Data.Corpus == first.Data.Corpus, $"methods[{i}].data.corpus",
                $"every method trains on the same corpus ({first.Data.Corpus}), got {method.Data.Corpus}");
        }

        var trained = Methods.Select((m, i) => (Method: m, Index: i)).Where(m => !m.Method.IsTrainingFree).ToList();
        if (trained.Count > 1)
        {
            var (reference, _) = trained[0];
            foreach (var (method, i) in trained.Skip(1))
            {
                Check(Budget(method).Steps == Budget(reference).Steps, $"methods[{i}].stages",
                    $"equal budgets: {Budget(method).Steps} optimizer steps in all, '{reference.Name}' has {Budget(reference).Steps}");
                Check(Budget(method).Sequences.SequenceEqual(Budget(reference).Sequences), $"methods[{i}].stages",
                    $"equal budgets: {string.Join("/", Budget(method).Sequences)} sequences per step, '{reference.Name}' has {string.Join("/", Budget(reference).Sequences)}");
            }
        }
        return problems;
    }

    /// <summary>A planned run's rules' problems, each with the run; its experiment tag restates the experiment's name and the method's, whose own rules name them.</summary>
    private static List<(RunSpec Run, SpecProblem Problem)> RulesOf(RunSpec run) =>
        [.. run.Problems().Where(p => RunSpec.TopField(p.Path) != "experiment").Select(p => (run, p))];

    /// <summary>
    /// Where field <paramref name="path"/> of <paramref name="run"/>, a planned run of method <paramref name="method"/>, is
    /// written in the experiment: its evaluation is the experiment's (selection_eval for a grid run, where given), the rest
    /// the method's (methods[i]…).
    /// </summary>
    private string At(int method, RunSpec run, string path) =>
        RunSpec.TopField(path) == "eval"
            ? (run.Experiment?.Role == ExperimentRole.Selection && SelectionEval is not null ? "selection_eval" : "eval") + path["eval".Length..]
            : path.Length == 0 ? $"methods[{method}]" : $"methods[{method}].{path}";

    /// <summary>A method's training budget: its optimizer steps in all, and the distinct sequences-per-step of its stages.</summary>
    private static (int Steps, IReadOnlyList<int> Sequences) Budget(RunSpec method)
    {
        var stages = method.Stages.OfType<TrainingStageSpec>().ToList();
        return (stages.Sum(s => s.Steps), [.. stages.Select(s => s.MicroBatchSize * s.GradientAccumulation).Distinct().Order()]);
    }
}

/// <summary>
/// The selection evaluation's cell that picks a learning rate: <paramref name="Benchmark"/> and
/// <paramref name="Metric"/> at <paramref name="ContextLength"/> (averaged over depths where there are several).
/// Accuracies are maximised, anything else (perplexity) minimised.
/// </summary>
public sealed record SelectionCriterion(string Benchmark, string Metric, int ContextLength)
{
    public bool Maximize => Metric == "accuracy";
}
