namespace LongRecipe.Engine.Recipes;

// Everything that keeps an experiment from running here, in one answer before its first run (and before the store holds
// it), as RunSpec.LaunchProblems gives a run's.
public sealed partial record ExperimentSpec
{
    /// <summary>
    /// Every problem that keeps the experiment from running on this machine: <paramref name="found"/>, those known already
    /// (by default the rules', <see cref="Problems()"/>; an experiment read from text passes its shape's and rules',
    /// <see cref="ParseWithProblems"/>), then what the machine lacks for each method's final run and grid run
    /// (<see cref="RunSpec.MachineProblems"/>), at the experiment's paths (methods[1].model, selection_eval.corpus). A
    /// method's other runs differ from these only in the seed and the rate, which the machine is not asked about. A field
    /// a known problem touches is not looked at, nor is one named for an earlier run (the evaluation all methods share).
    /// </summary>
    public IReadOnlyList<SpecProblem> LaunchProblems(string? realCorpus, string builtinModel, IReadOnlyList<SpecProblem>? found = null)
    {
        found ??= Problems();
        var lacking = new List<SpecProblem>();
        for (var i = 0; i < Methods.Count; i++)
        {
            var method = i;
            var final = ExperimentPlan.Final(this, Methods[i], Seeds.FirstOrDefault(), lr: null);
            foreach (var run in ExperimentPlan.Selection(this, Methods[i]).Take(1).Prepend(final))
            {
                var rules = run.Problems();
                bool AlreadyWrong(string path) => rules.Any(p => p.Touches(path)) || found.Concat(lacking).Any(p => p.Touches(At(method, run, path)));
                lacking.AddRange(run.MachineProblems(realCorpus, builtinModel, AlreadyWrong).Select(p => p with { Path = At(method, run, p.Path) }));
            }
        }
        return [.. found, .. lacking];
    }
}
