namespace LongRecipe.Engine.Recipes;

// Everything that keeps a spec from running here, in one answer: a user mends it all at once, not a problem a round.
public sealed partial record RunSpec
{
    /// <summary>
    /// Every problem that keeps the spec from running on this machine: <paramref name="found"/>, those known already (by
    /// default the rules', <see cref="Problems()"/>; a spec read from text passes its shape's and rules',
    /// <see cref="ParseWithProblems"/>; the Lab adds the places it refuses), then what the machine lacks
    /// (<see cref="CorpusProblems"/>, <see cref="ResourceProblems"/>). The machine is not asked about a field a known problem
    /// touches (<see cref="SpecProblem.Touches"/>): it would be named twice, a path holding a NUL names no file, a field of
    /// the wrong shape stands at its default, and the Lab does not look at a place it refuses.
    /// </summary>
    public IReadOnlyList<SpecProblem> LaunchProblems(string? realCorpus, string builtinModel, IReadOnlyList<SpecProblem>? found = null)
    {
        found ??= Problems();
        bool AlreadyWrong(string path) => found.Any(p => p.Touches(path));
        return [.. found, .. CorpusProblems(realCorpus, AlreadyWrong), .. ResourceProblems(builtinModel, AlreadyWrong)];
    }

    /// <summary>Throws a <see cref="RunSpecException"/> listing <see cref="LaunchProblems"/>; returns the spec when there is none.</summary>
    public RunSpec ValidateLaunch(string? realCorpus, string builtinModel) =>
        LaunchProblems(realCorpus, builtinModel) is { Count: > 0 } problems ? throw new RunSpecException(null, problems) : this;
}
