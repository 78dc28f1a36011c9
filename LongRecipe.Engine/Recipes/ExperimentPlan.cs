using System.Globalization;

namespace LongRecipe.Engine.Recipes;

/// <summary>
/// The runs an <see cref="ExperimentSpec"/> stands for, as specs: first the learning-rate grid (each trained
/// method once per rate, the first seed, validation evaluation), then the final runs (each method once per
/// seed at its chosen rate, test evaluation). Pure functions of the spec: the same spec plans the same runs,
/// which is how a resumed experiment finds the runs it already has.
/// </summary>
public static class ExperimentPlan
{
    /// <summary>The grid's runs, named "method lr=…"; none when the spec has no grid.</summary>
    public static IReadOnlyList<RunSpec> Selection(ExperimentSpec spec) => [.. spec.Methods.SelectMany(method => Selection(spec, method))];

    /// <summary>The grid's runs of <paramref name="method"/>, one per rate; none for a method without training.</summary>
    public static IEnumerable<RunSpec> Selection(ExperimentSpec spec, RunSpec method) =>
        from lr in method.IsTrainingFree ? [] : spec.LearningRates
        select WithSeed(WithLearningRate(method, lr) with
        {
            Name = $"{method.Name} lr={Format(lr)}",
            Eval = spec.SelectionEval ?? spec.Eval,
            Experiment = new ExperimentTag(spec.Name, method.Name, ExperimentRole.Selection),
        }, spec.Seeds.FirstOrDefault());

    /// <summary>
    /// The final runs: each method per seed (once when it has no stage: no seed changes it), trained methods at
    /// their rate in <paramref name="chosen"/> (by method name; a method missing there keeps its own).
    /// </summary>
    public static IReadOnlyList<RunSpec> Finals(ExperimentSpec spec, IReadOnlyDictionary<string, double> chosen) =>
        [.. from method in spec.Methods
            from seed in method.Stages.Count == 0 ? spec.Seeds.Take(1) : spec.Seeds
            select Final(spec, method, seed, chosen.TryGetValue(method.Name, out var lr) ? lr : null)];

    /// <summary>One final run of <paramref name="method"/>.</summary>
    public static RunSpec Final(ExperimentSpec spec, RunSpec method, ulong seed, double? lr) =>
        WithSeed((lr is { } rate && !method.IsTrainingFree ? WithLearningRate(method, rate) : method) with
        {
            Eval = spec.Eval,
            Experiment = new ExperimentTag(spec.Name, method.Name, ExperimentRole.Final),
        }, seed);

    /// <summary>
    /// The method with its first training stage at peak rate <paramref name="lr"/> and every training stage's
    /// rates (peak and floor) scaled by the same ratio, so an anneal stage keeps its share of the extension's rate.
    /// </summary>
    public static RunSpec WithLearningRate(RunSpec method, double lr)
    {
        var first = method.Stages.OfType<TrainingStageSpec>().FirstOrDefault()
                    ?? throw new ArgumentException($"method '{method.Name}' has no training stage to set a learning rate on", nameof(method));
        var ratio = lr / first.LearningRate;
        return method with
        {
            Stages = [.. method.Stages.Select(stage => stage switch
            {
                ExtendStage e => e with { LearningRate = e.LearningRate * ratio, MinLearningRate = e.MinLearningRate * ratio },
                AnnealStage a => a with { LearningRate = a.LearningRate * ratio, MinLearningRate = a.MinLearningRate * ratio },
                _ => stage,
            })],
        };
    }

    /// <summary>The run's seed, and its position transforms' (which draw their own random placements).</summary>
    public static RunSpec WithSeed(RunSpec run, ulong seed) => run with
    {
        Seed = seed,
        Stages = [.. run.Stages.Select(stage => stage is ExtendStage e ? e with { Transform = e.Transform with { Seed = seed } } : stage)],
    };

    /// <summary>"3e-04" style, the same text for the same rate in names and tables.</summary>
    public static string Format(double lr) => lr.ToString("0.##e+00", CultureInfo.InvariantCulture);
}
