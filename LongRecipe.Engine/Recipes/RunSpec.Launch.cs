namespace LongRecipe.Engine.Recipes;

// Everything that keeps a spec from running here, in one answer: a user mends it all at once, not a problem a round.
public sealed partial record RunSpec
{
    /// <summary>
    /// Every problem that keeps the spec from running on this machine: <paramref name="found"/>, those known already (by
    /// default the rules', <see cref="Problems()"/>; a spec read from text passes its shape's and rules',
    /// <see cref="ParseWithProblems"/>; the Lab adds the places it refuses), then what the machine lacks
    /// (<see cref="MachineProblems"/>) at the fields none of them touches (<see cref="SpecProblem.Touches"/>): a field
    /// would be named twice, a path holding a NUL names no file, a field of the wrong shape stands at its default, and the
    /// Lab does not look at a place it refuses.
    /// </summary>
    public IReadOnlyList<SpecProblem> LaunchProblems(string? realCorpus, string builtinModel, IReadOnlyList<SpecProblem>? found = null)
    {
        found ??= Problems();
        return [.. found, .. MachineProblems(realCorpus, builtinModel, path => found.Any(p => p.Touches(path)))];
    }

    /// <summary>
    /// What this machine lacks for the spec: its corpora (<see cref="CorpusProblems"/>) and its model, device and memory
    /// (<see cref="ResourceProblems"/>), not looking at a field <paramref name="alreadyWrong"/> says a problem is known at.
    /// </summary>
    public IReadOnlyList<SpecProblem> MachineProblems(string? realCorpus, string builtinModel, Func<string, bool> alreadyWrong) =>
        [.. CorpusProblems(realCorpus, alreadyWrong), .. ResourceProblems(builtinModel, alreadyWrong)];

    /// <summary>Throws a <see cref="RunSpecException"/> listing <see cref="LaunchProblems"/>; returns the spec when there is none.</summary>
    public RunSpec ValidateLaunch(string? realCorpus, string builtinModel) =>
        LaunchProblems(realCorpus, builtinModel) is { Count: > 0 } problems ? throw new RunSpecException(null, problems) : this;
}
